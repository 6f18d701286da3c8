#!/usr/bin/env node
// `postpack` of every publishable package: puts back what prepack.cjs set aside.
require('./pack-files.cjs').restore(process.cwd());
