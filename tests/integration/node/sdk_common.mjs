// Shared by the sdk_*.mjs drivers: X's official TypeScript SDK (twitter-api-sdk, CommonJS) and small
// helpers that turn its results and errors into plain JSON for the Python side to assert on.
import sdk from 'twitter-api-sdk';

export const { Client, auth } = sdk;

// The SDK does not export TwitterResponseError, so report the class by name with what it carries.
export function errorOf(e) {
  if (e?.constructor?.name !== 'TwitterResponseError') {
    return { name: e?.constructor?.name, message: String(e?.message ?? e) };
  }
  return {
    name: e.constructor.name,
    status: e.status,
    statusText: e.statusText,
    contentType: e.headers['content-type'],
    rateLimitRemaining: e.headers['x-rate-limit-remaining'],
    error: e.error,
  };
}

// Runs fn; returns { ok } with its value, or { raised } with errorOf() of what it threw.
export async function outcome(fn) {
  try {
    return { ok: await fn() };
  } catch (e) {
    return { raised: errorOf(e) };
  }
}

export function emit(obj) {
  process.stdout.write(JSON.stringify(obj) + '\n');
}
