// The one API client of the pages: tokens kept in memory only, refreshed before they
// expire, and every RFC 9457 problem document turned into plain words in one place.

const BASE = '/api/v2';
/** Refresh this long before the access token expires. */
const REFRESH_MARGIN_S = 60;

/** What each stable `code` means, in plain words (the server's `detail` follows). */
const PLAIN = {
  validation_error: 'Please check what you entered.',
  unauthorized: 'You are not signed in, or the sign-in details are not right.',
  forbidden: 'Your account is not allowed to do that.',
  not_found: 'That could not be found.',
  method_not_allowed: 'That action is not available here.',
  conflict: 'That clashes with something that already exists.',
  insufficient_funds: 'There is not enough money in the balance for that.',
  limit_exceeded: 'That would go over a deposit limit.',
  self_excluded: 'The account is excluded from play and deposits right now.',
  kyc_required: 'Identity verification (KYC) is needed first.',
  account_blocked: 'The account is blocked.',
  bet_out_of_range: 'That stake is outside the limits of the game.',
  session_closed: 'That game session has ended; start the game again.',
  session_time_exceeded: 'The daily play-time limit has been reached.',
  rule_violation: 'That is not allowed by the rules.',
  rate_limited: 'Too many attempts in a short time.',
  unavailable: 'The service is temporarily unavailable. Please try again in a moment.',
  internal_error: 'Something went wrong on our side. Please try again.',
};

/** A failed request: an RFC 9457 problem, or a network failure (`status` 0). */
export class ApiProblem extends Error {
  constructor(status, body, retryAfter) {
    const b = body && typeof body === 'object' ? body : {};
    const code = typeof b.code === 'string' ? b.code : status === 0 ? 'network' : 'internal_error';
    super(typeof b.detail === 'string' ? b.detail : '');
    this.status = status;
    this.code = code;
    this.detail = typeof b.detail === 'string' ? b.detail : '';
    /** `[{field, message}]` for validation errors. */
    this.errors = Array.isArray(b.errors) ? b.errors : [];
    this.retryAfter = retryAfter;
  }

  /** The whole problem in plain words, for a message area. */
  get plain() {
    if (this.code === 'network') return 'The platform cannot be reached. Check the connection and try again.';
    let head = PLAIN[this.code] || `The request failed (HTTP ${this.status}).`;
    if (this.code === 'rate_limited' && this.retryAfter) head += ` Please wait ${this.retryAfter} s.`;
    const fields = this.errors.map((e) => `${e.field}: ${e.message}`).join('; ');
    const detail = this.errors.length ? fields : this.detail;
    return detail ? `${head} ${sentence(detail)}` : head;
  }

  /** The message for one form field, if the problem names it. */
  fieldMessage(field) {
    const e = this.errors.find((x) => x.field === field || x.field.endsWith(`.${field}`));
    return e ? sentence(e.message) : '';
  }
}

function sentence(text) {
  const t = String(text).trim();
  if (!t) return t;
  const capital = t.charAt(0).toUpperCase() + t.slice(1);
  return /[.!?]$/.test(capital) ? capital : `${capital}.`;
}

function query(params) {
  if (!params) return '';
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined || v === null || v === '') continue;
    q.set(k, String(v));
  }
  const s = q.toString();
  return s ? `?${s}` : '';
}

/** A fresh idempotency key for one mutating request (retries reuse it). */
export function idempotencyKey(prefix = 'ui') {
  return `${prefix}-${crypto.randomUUID()}`;
}

export class Api {
  /** `onSignedOut(reason)` runs when the session ends (logout, expiry, revocation). */
  constructor({ onSignedOut } = {}) {
    this.onSignedOut = onSignedOut || (() => {});
    this.session = null;
    this.timer = null;
    this.refreshing = null;
  }

  get signedIn() { return this.session !== null; }
  get role() { return this.session ? this.session.role : null; }
  get accountId() { return this.session ? this.session.accountId : null; }
  /** The current access token (the live feed sends it as its first message). */
  get accessToken() { return this.session ? this.session.access : null; }

  async login(login, password) {
    const body = login.includes('@') ? { email: login, password } : { username: login, password };
    const pair = await this.send('POST', '/auth/login', { body, auth: false });
    this.adopt(pair);
    return pair;
  }

  async logout() {
    const s = this.session;
    if (!s) return;
    try {
      await this.send('POST', '/auth/logout', { body: { refresh_token: s.refresh } });
    } finally {
      this.end('signed out');
    }
  }

  get(path, params) { return this.send('GET', path + query(params)); }
  post(path, body, headers) { return this.send('POST', path, { body: body || {}, headers }); }
  put(path, body) { return this.send('PUT', path, { body }); }
  /** A text answer (e.g. CSV). */
  text(path, params) { return this.send('GET', path + query(params), { text: true }); }

  adopt(pair) {
    this.session = {
      access: pair.access_token,
      refresh: pair.refresh_token,
      role: pair.role,
      accountId: pair.account_id,
      expiresAt: Date.now() + pair.expires_in * 1000,
    };
    clearTimeout(this.timer);
    // Timers take at most 2^31 − 1 ms; a longer wait would fire at once.
    const wait = Math.min(Math.max(5, pair.expires_in - REFRESH_MARGIN_S) * 1000, 2 ** 31 - 1);
    this.timer = setTimeout(() => { this.refresh().catch(() => {}); }, wait);
  }

  /** Exchanges the refresh token for a new pair (once at a time). */
  refresh() {
    if (!this.session) return Promise.reject(new ApiProblem(401, { code: 'unauthorized' }));
    if (!this.refreshing) {
      const token = this.session.refresh;
      this.refreshing = this.send('POST', '/auth/refresh', { body: { refresh_token: token }, auth: false })
        .then((pair) => { this.adopt(pair); return pair; })
        .catch((e) => { this.end('session expired'); throw e; })
        .finally(() => { this.refreshing = null; });
    }
    return this.refreshing;
  }

  end(reason) {
    clearTimeout(this.timer);
    const had = this.session !== null;
    this.session = null;
    if (had) this.onSignedOut(reason);
  }

  async send(method, path, { body, headers, auth = true, text = false, retried = false } = {}) {
    const h = { Accept: text ? 'text/csv, application/problem+json' : 'application/json' };
    if (body !== undefined) h['Content-Type'] = 'application/json';
    if (auth && this.session) {
      // A token about to expire is refreshed first (timers sleep in background tabs).
      if (Date.now() > this.session.expiresAt - 10_000) await this.refresh();
      h.Authorization = `Bearer ${this.session.access}`;
    }
    Object.assign(h, headers || {});
    let res;
    try {
      res = await fetch(BASE + path, {
        method,
        headers: h,
        body: body === undefined ? undefined : JSON.stringify(body),
        cache: 'no-store',
        credentials: 'same-origin',
      });
    } catch {
      throw new ApiProblem(0, null);
    }
    if (res.status === 401 && auth && this.session && !retried) {
      await this.refresh();
      return this.send(method, path, { body, headers, auth, text, retried: true });
    }
    const raw = await res.text();
    if (!res.ok) {
      let problem = null;
      try { problem = raw ? JSON.parse(raw) : null; } catch { problem = null; }
      const retryAfter = Number(res.headers.get('Retry-After')) || undefined;
      const err = new ApiProblem(res.status, problem, retryAfter);
      if (res.status === 401 && auth && this.session) this.end('session ended');
      throw err;
    }
    if (text) return raw;
    const data = raw ? JSON.parse(raw) : null;
    if (data && typeof data === 'object' && !Array.isArray(data)) {
      Object.defineProperty(data, '_status', { value: res.status, enumerable: false });
    }
    return data;
  }
}
