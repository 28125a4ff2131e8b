#!/usr/bin/env node
// A committed shim: the build writes dist/; npm links this file as `reslab`.
import '../dist/index.js';
