// The staff live feed (`/api/v2/ws`): the access token goes in the first message (not
// the URL, which logs keep), and a dropped connection is retried with backoff, with a
// fresh token when the old one has expired.

const MIN_BACKOFF_MS = 1000;
const MAX_BACKOFF_MS = 15000;

export class LiveFeed {
  /**
   * onEvent(event) for each `{channel, kind, at, payload}`; onState(state, detail) with
   * `connecting`, `live`, `reconnecting` or `stopped`.
   */
  constructor(api, { channels, onEvent, onState }) {
    this.api = api;
    this.channels = channels;
    this.onEvent = onEvent;
    this.onState = onState || (() => {});
    this.ws = null;
    this.backoff = MIN_BACKOFF_MS;
    this.timer = null;
    this.stopped = true;
  }

  start() {
    this.stopped = false;
    this.connect();
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.timer);
    if (this.ws) {
      this.ws.onclose = null;
      this.ws.close(1000, 'bye');
      this.ws = null;
    }
    this.onState('stopped');
  }

  /** Listens to other channels from now on (reconnects). */
  setChannels(channels) {
    this.channels = channels;
    if (!this.stopped) {
      this.stop();
      this.start();
    }
  }

  connect() {
    if (this.stopped || !this.api.signedIn) return;
    this.onState(this.ws ? 'reconnecting' : 'connecting');
    const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
    const q = this.channels && this.channels.length ? `?channels=${encodeURIComponent(this.channels.join(','))}` : '';
    const ws = new WebSocket(`${scheme}://${location.host}/api/v2/ws${q}`);
    this.ws = ws;
    ws.onopen = () => {
      ws.send(JSON.stringify({ token: this.api.accessToken }));
      this.backoff = MIN_BACKOFF_MS;
      this.onState('live');
    };
    ws.onmessage = (m) => {
      let event;
      try { event = JSON.parse(m.data); } catch { return; }
      if (event && event.channel) this.onEvent(event);
    };
    ws.onclose = (e) => {
      if (this.stopped) return;
      // 1008: the token was refused or has expired: refresh it before trying again.
      const again = () => this.connect();
      const wait = this.backoff;
      this.backoff = Math.min(this.backoff * 2, MAX_BACKOFF_MS);
      this.onState('reconnecting', `retrying in ${Math.round(wait / 1000)} s`);
      this.timer = setTimeout(() => {
        if (e.code === 1008) this.api.refresh().then(again, () => this.stop());
        else again();
      }, wait);
    };
  }
}
