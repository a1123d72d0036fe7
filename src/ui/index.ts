// The operator page's face: its static file server (mounted by the API server).
export { isUiPath, serveUi } from './serve.js';
