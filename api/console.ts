/**
 * The operator console at /console: static files (console/) and the two front-end libraries'
 * ES modules straight from node_modules (preact, preact/hooks, htm), no build step. The page is
 * public; every data call it makes goes to the public API with the operator's API key.
 */
import path from 'node:path';
import express, { Router } from 'express';

export const CONSOLE_PATH = '/console';

/** The console's files: the top-level console/ folder of the project. */
export const CONSOLE_DIR = path.resolve(__dirname, '..', 'console');

/** The browser modules the import map in console/index.html names, by their file under /console/vendor. */
const VENDOR_MODULES: Record<string, string> = {
  'preact.mjs': require.resolve('preact'),
  'hooks.mjs': require.resolve('preact/hooks'),
  'htm.mjs': path.join(path.dirname(require.resolve('htm')), 'htm.mjs'),
};

/**
 * Middleware only (no routes), so the console is not part of the API's route table: the files, and
 * /console redirected to /console/ by express.static so relative module URLs resolve under it.
 */
export function consoleRouter(): Router {
  const router = Router();
  /** The console's libraries, as ES modules. */
  router.use(`${CONSOLE_PATH}/vendor`, (req, res, next) => {
    const file =
      req.method === 'GET' || req.method === 'HEAD' ? VENDOR_MODULES[req.path.slice(1)] : undefined;
    if (!file) return next();
    res.type('text/javascript').sendFile(file);
  });
  router.use(CONSOLE_PATH, express.static(CONSOLE_DIR, { index: 'index.html' }));
  return router;
}
