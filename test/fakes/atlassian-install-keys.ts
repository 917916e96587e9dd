// A fake of Atlassian's install-key service (https://connect-install-keys.atlassian.com/<kid> answers
// the PEM public key) on a loopback port, holding its own RSA key pair, plus what Jira does with the
// private key: sign lifecycle callbacks RS256 with the kid in the header and our baseUrl as audience.
import { generateKeyPairSync } from 'node:crypto';
import { AsymmetricAlgorithm, createQueryStringHash, encodeAsymmetric, fromMethodAndUrl } from 'atlassian-jwt';
import { LoopbackServer } from './loopback.ts';

export class FakeInstallKeys {
  readonly kid = 'test-kid-0001';
  readonly requests: string[] = [];
  private readonly keys = generateKeyPairSync('rsa', { modulusLength: 2048 });
  private readonly server = new LoopbackServer(async (req, res) => {
    this.requests.push(req.url ?? '');
    if (req.url === `/${this.kid}`) {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end(this.keys.publicKey.export({ type: 'spki', format: 'pem' }));
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('Not Found');
  });

  get url(): string {
    return this.server.url;
  }

  async listen(): Promise<this> {
    await this.server.listen();
    return this;
  }

  close(): Promise<void> {
    return this.server.close();
  }

  /**
   * The Authorization header Jira sends with a lifecycle callback to `url` (absolute, on the app).
   * Overrides make bad tokens: another key, audience, issuer, kid, expiry or qsh.
   */
  lifecycleAuthorization(input: {
    url: string;
    appBaseUrl: string;
    clientKey: string;
    nowMs?: number;
    aud?: string;
    kid?: string;
    qsh?: string;
    expiresInSeconds?: number;
    privateKey?: string;
  }): string {
    const iat = Math.floor((input.nowMs ?? Date.now()) / 1000);
    const claims = {
      iss: input.clientKey,
      aud: [input.aud ?? input.appBaseUrl],
      iat,
      exp: iat + (input.expiresInSeconds ?? 180),
      qsh: input.qsh ?? createQueryStringHash(fromMethodAndUrl('POST', input.url), false, input.appBaseUrl),
      context: {},
    };
    const key = input.privateKey ?? this.keys.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    return `JWT ${encodeAsymmetric(claims, key, AsymmetricAlgorithm.RS256, { kid: input.kid ?? this.kid })}`;
  }
}

export async function startFakeInstallKeys(): Promise<FakeInstallKeys> {
  return new FakeInstallKeys().listen();
}
