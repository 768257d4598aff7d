// The one place schemas get zod from: `zod/mini`, the tree-shakable build (classic `zod` cannot be
// tree-shaken and would cost every daemon ~5 MB of memory). Unlike classic zod, mini loads no
// locale on its own, so built-in messages ("Too small: expected number to be >=1") would turn into
// a bare "Invalid input": English is installed here, once, before any schema is used.
// Import it as a namespace (`import * as z from '../config/zod.js'`) so the bundler keeps only
// what is used.
import { config } from 'zod/mini';
import en from 'zod/v4/locales/en.js';

config(en());

export * from 'zod/mini';
