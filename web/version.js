// version.js - the app's version, printed on every report so that a result can be traced to the
// software that made it. Kept equal to package.json's version (tests/browser/report.test.mjs checks).
export const APP_VERSION = '0.1.0';
