#!/usr/bin/env node
// The built CLI; `npm ci` (prepare) and `npm run build` produce dist/.
import '../dist/main/cli.js';
