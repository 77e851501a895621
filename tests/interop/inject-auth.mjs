// Preload for the conformance suite, which has no header option: adds $MCP_AUTH_HEADER as the
// Authorization header to every fetch() and to undici requests made through the global dispatcher
// (the dns-rebinding scenario sends raw undici requests rather than fetch).
import { Agent, setGlobalDispatcher } from 'undici';

const value = process.env.MCP_AUTH_HEADER;

function withAuth(headers) {
  if (headers == null) return { authorization: value };
  if (Array.isArray(headers)) {
    const flat = headers.flat();
    for (let i = 0; i < flat.length; i += 2) if (String(flat[i]).toLowerCase() === 'authorization') return headers;
    return [...flat, 'authorization', value];
  }
  if (typeof headers[Symbol.iterator] === 'function') return withAuth([...headers]);
  if (Object.keys(headers).some((k) => k.toLowerCase() === 'authorization')) return headers;
  return { ...headers, authorization: value };
}

if (value) {
  const original = globalThis.fetch;
  globalThis.fetch = (input, init = {}) => {
    const headers = new Headers(init.headers ?? (input instanceof Request ? input.headers : undefined));
    if (!headers.has('authorization')) headers.set('authorization', value);
    return original(input, { ...init, headers });
  };
  setGlobalDispatcher(new Agent().compose((dispatch) => (options, handler) =>
    dispatch({ ...options, headers: withAuth(options.headers) }, handler)));
}
