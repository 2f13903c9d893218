// Failures (messages and stack traces) travel as an encoded payload, so the payload codec
// encrypts them like every other payload: an activity error can quote a recipient's address.
// CommonJS on purpose: the worker, the client and the workflow bundler load it by path with
// `require`, in every runtime (tsx, vitest, a compiled deployment) without a TypeScript loader.
'use strict';
const { DefaultFailureConverter } = require('@temporalio/common');

exports.failureConverter = new DefaultFailureConverter({ encodeCommonAttributes: true });
