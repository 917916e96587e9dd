// Every route the app answers, with the roles its requireRole admits (null: no requireRole, i.e.
// public or authenticated otherwise, like webhooks by their signatures). Read from express 5's
// router stack, so a route added anywhere shows up here; the route-walk test holds it to a table.
import type { Express } from 'express';
import type { Role } from '../store/schema/index.ts';
import { ALLOWED_ROLES } from './auth/require-role.ts';

export interface RouteAccess {
  method: string;
  path: string;
  roles: readonly Role[] | null;
}

// The parts of router@2's Layer and Route that this reads.
interface Layer {
  handle: ((...args: unknown[]) => unknown) & { stack?: Layer[]; [ALLOWED_ROLES]?: readonly Role[] };
  route?: { path: string | string[]; methods: Record<string, boolean>; stack: Layer[] };
  /** True for `use(fn)` without a path: mounted at the root. */
  slash?: boolean;
  rawPath?: unknown;
}

export function listRoutes(app: Express): RouteAccess[] {
  const out: RouteAccess[] = [];
  const walk = (stack: readonly Layer[]) => {
    for (const layer of stack) {
      if (layer.route) {
        const guard = layer.route.stack.find((l) => l.handle[ALLOWED_ROLES] !== undefined);
        const paths = Array.isArray(layer.route.path) ? layer.route.path : [layer.route.path];
        for (const method of Object.keys(layer.route.methods)) {
          for (const path of paths) out.push({ method: method === '_all' ? 'ALL' : method.toUpperCase(), path, roles: guard?.handle[ALLOWED_ROLES] ?? null });
        }
      } else if (Array.isArray(layer.handle.stack)) {
        // Routers are mounted at the root and spell out full paths; a prefix would not be seen here.
        if (!layer.slash) throw new Error(`listRoutes: a router is mounted at ${String(layer.rawPath)}; mount routers at / with full paths`);
        walk(layer.handle.stack);
      }
    }
  };
  walk((app.router as unknown as { stack: Layer[] }).stack);
  return out;
}
