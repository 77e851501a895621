// An OAuthClientProvider for the official TypeScript SDK (client/auth.js), kept in memory the way
// a desktop MCP client keeps its registration and tokens, plus a recording fetch that shows which
// requests the SDK made on its own (discovery, registration, token grants).
import { randomBytes } from "node:crypto";

export class BrowserOAuthProvider {
  /**
   * redirectUrl: the loopback callback the browser comes back to.
   * open(url): what "open the system browser at url" means here (run.mjs drives Chromium).
   * clientInformation: a registration to reuse instead of registering again.
   */
  constructor({ redirectUrl, clientName, open, clientInformation }) {
    this._redirectUrl = redirectUrl;
    this._clientName = clientName;
    this._open = open;
    this._client = clientInformation;
    this._tokens = undefined;
    this._verifier = undefined;
    this.states = [];
    this.savedTokens = [];
    this.registrations = [];
    this.authorizationUrls = [];
    this.opened = [];
  }

  get redirectUrl() {
    return this._redirectUrl;
  }

  get clientMetadata() {
    return {
      client_name: this._clientName,
      redirect_uris: [this._redirectUrl],
      grant_types: ["authorization_code", "refresh_token"],
      response_types: ["code"],
      token_endpoint_auth_method: "none",
    };
  }

  state() {
    const state = randomBytes(18).toString("base64url");
    this.states.push(state);
    return state;
  }

  clientInformation() {
    return this._client;
  }

  saveClientInformation(information) {
    this.registrations.push(information);
    this._client = information;
  }

  tokens() {
    return this._tokens;
  }

  saveTokens(tokens) {
    this.savedTokens.push({ tokens, at: Date.now() });
    this._tokens = tokens;
  }

  saveCodeVerifier(verifier) {
    this._verifier = verifier;
  }

  codeVerifier() {
    if (!this._verifier) throw new Error("no code verifier saved");
    return this._verifier;
  }

  async redirectToAuthorization(url) {
    this.authorizationUrls.push(new URL(url));
    this.opened.push(await this._open(new URL(url)));
  }

  get lastState() {
    return this.states[this.states.length - 1];
  }

  get lastOpened() {
    return this.opened[this.opened.length - 1];
  }
}

/**
 * fetch, recording each request: method, path, the grant_type of a token request, whether it
 * carried a bearer token (and which), the status and the WWW-Authenticate challenge.
 */
export function recordingFetch(log) {
  return async (input, init = {}) => {
    const url = new URL(typeof input === "string" || input instanceof URL ? input : input.url);
    const method = (init.method || "GET").toUpperCase();
    const headers = new Headers(init.headers || {});
    const authorization = headers.get("authorization") || undefined;
    let grant;
    let body;
    if (url.pathname === "/token" && init.body) {
      body = new URLSearchParams(String(init.body));
      grant = body.get("grant_type");
    }
    const entry = { method, path: url.pathname, url: url.href, grant, body, authorization, at: Date.now() };
    log.push(entry);
    const response = await fetch(input, init);
    entry.status = response.status;
    entry.wwwAuthenticate = response.headers.get("www-authenticate") || undefined;
    if (url.pathname === "/register" && response.ok) entry.json = await response.clone().json().catch(() => undefined);
    return response;
  };
}
