#!/usr/bin/env node
// Run by `npm install` when `node-gyp rebuild` fails (package.json "install" script). The native
// addon is optional: pelt falls back to its pure-TypeScript kernels, so installation must succeed.
'use strict';

const lines = [
  '',
  'pelt: the native backend (build/Release/pelt_native.node) could not be built.',
  '      pelt still works, but uses the pure-TypeScript backend, which is far slower',
  '      (fine for tests and tiny models, not for real training).',
  '      To build the fast backend, install a C++ compiler and OpenBLAS (OpenMP variant), e.g.',
  '        Debian/Ubuntu:  sudo apt-get install g++ make python3 libopenblas-openmp-dev',
  '      then run:         npm run build:native',
  '',
];
process.stderr.write(lines.join('\n') + '\n');
process.exit(0);
