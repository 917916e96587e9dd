// Static assets, public and cacheable: the stylesheet, the page scripts, and the chart library
// served from the app itself (issue 6: no CDN). They hold no data; every data route is guarded.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import express, { Router } from 'express';

export const ASSETS_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'assets');

/** chart.js's own UMD build, from node_modules (its package exports do not name the file). */
const CHART_JS = join(dirname(createRequire(import.meta.url).resolve('chart.js')), 'chart.umd.min.js');

export function assetRoutes(): Router {
  const router = Router();
  router.get('/assets/vendor/chart.umd.min.js', (_req, res, next) => {
    res.sendFile(CHART_JS, { maxAge: '1d' }, (error) => error && next(error));
  });
  router.use('/assets', express.static(ASSETS_DIR, { maxAge: '1h', index: false, fallthrough: true }));
  return router;
}
