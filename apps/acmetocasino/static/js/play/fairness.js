// Provable fairness: the current seed pair, a new client seed, rotation (which reveals
// the server seed), and verification of any past round — recomputed here, in the
// browser, with the revealed seed (SHA-256 and HMAC-SHA256 of the Web Crypto API), and
// by the server.

import { $, h, fill, time, say, showFieldErrors } from '../lib/dom.js';
import { DataTable } from '../lib/table.js';

const TWO_32 = 2 ** 32;

function bytes(hexText) {
  const out = new Uint8Array(hexText.length / 2);
  for (let i = 0; i < out.length; i += 1) out[i] = parseInt(hexText.slice(2 * i, 2 * i + 2), 16);
  return out;
}

function hex(buf) {
  return Array.from(new Uint8Array(buf), (b) => b.toString(16).padStart(2, '0')).join('');
}

/**
 * Recomputes a round's draws: the stream is HMAC-SHA256(server_seed, "client:nonce:block")
 * for block 0, 1, …; a draw in [0, n) takes the next 4 bytes as a big-endian u32 x and
 * keeps x mod n when x < 2^32 − (2^32 mod n), else discards them (docs/provably-fair.md).
 */
export async function recompute(serverSeedHex, clientSeed, nonce, ns) {
  const key = bytes(serverSeedHex);
  const seedHash = hex(await crypto.subtle.digest('SHA-256', key));
  const mac = await crypto.subtle.importKey('raw', key, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  let block = 0;
  let buf = new Uint8Array(0);
  let pos = 0;
  const next = async () => {
    if (pos + 4 > buf.length) {
      const msg = new TextEncoder().encode(`${clientSeed}:${nonce}:${block}`);
      buf = new Uint8Array(await crypto.subtle.sign('HMAC', mac, msg));
      block += 1;
      pos = 0;
    }
    const x = buf[pos] * 2 ** 24 + buf[pos + 1] * 2 ** 16 + buf[pos + 2] * 2 ** 8 + buf[pos + 3];
    pos += 4;
    return x;
  };
  const values = [];
  for (const n of ns) {
    const limit = TWO_32 - (TWO_32 % n);
    for (;;) {
      const x = await next();
      if (x < limit) {
        values.push(x % n);
        break;
      }
    }
  }
  return { seedHash, values };
}

async function verify(ctx, root, id) {
  const out = $('[data-role=verify-result]', root);
  const line = (ok, text) => h('li', {}, h('span', { class: ok ? 'verify-ok' : 'verify-bad' }, ok ? '✓ ' : '✗ '), text);
  out.replaceChildren(h('p', { class: 'muted' }, 'Checking…'));
  try {
    const r = await ctx.api.get(`/gal/rounds/${id}`);
    if (!r.rng.server_seed) {
      out.replaceChildren(h('p', { class: 'notice warn' }, `Round ${id.slice(0, 8)} was played with your current seed pair, whose server seed is still secret. Rotate the pair above to reveal it, then verify.`));
      return;
    }
    const mine = await recompute(r.rng.server_seed, r.rng.client_seed, r.rng.nonce, r.rng.draws.map((d) => d.n));
    const recorded = r.rng.draws.map((d) => d.value);
    const drawsMatch = mine.values.length === recorded.length && mine.values.every((v, i) => v === recorded[i]);
    const server = await ctx.api.get(`/gal/rounds/${id}/verify`);
    const all = mine.seedHash === r.rng.server_seed_hash && drawsMatch && server.verified;
    out.replaceChildren(
      h('p', { class: `notice ${all ? 'ok' : 'error'}`, 'data-verified': String(all) },
        all ? `Round ${id} is verified.` : `Round ${id} does NOT verify.`),
      h('ul', {},
        line(mine.seedHash === r.rng.server_seed_hash, `SHA-256 of the revealed server seed equals the hash committed before the round (${r.rng.server_seed_hash.slice(0, 16)}…), computed in your browser.`),
        line(drawsMatch, `Your browser recomputed the ${recorded.length} draw(s) from the seeds and nonce ${r.rng.nonce}: ${mine.values.join(', ')}.`),
        line(server.outcome_matches, `The outcome recomputed from those draws (${r.game_slug}) equals the recorded one.`)),
      h('dl', { class: 'props fair-panel' },
        h('dt', {}, 'Server seed'), h('dd', { class: 'id' }, r.rng.server_seed),
        h('dt', {}, 'Client seed'), h('dd', { class: 'id' }, r.rng.client_seed),
        h('dt', {}, 'Nonce'), h('dd', {}, String(r.rng.nonce))));
  } catch (p) {
    out.replaceChildren(h('p', { class: 'notice error', role: 'alert' }, p.plain || String(p)));
  }
}

export default {
  template: 'tpl-fairness',
  title: () => 'Provably fair',
  async show(ctx, root, param) {
    const api = ctx.api;
    let pair = null;
    const load = async () => {
      pair = await api.get('/gal/fairness');
      fill(root, pair);
    };
    await load();
    const note = $('[data-role=rotation]', root);
    const rotated = (r) => {
      const kept = r.current.server_seed_hash === pair.next_server_seed_hash;
      say(note, `Revealed server seed ${r.revealed_server_seed} for the ${r.rounds} round(s) of the previous pair. `
        + (kept ? 'The new pair uses the server seed committed before you chose its client seed (its hash was the “next” hash).'
          : 'Warning: the new pair does not use the committed next server seed.'), kept ? 'ok' : 'error');
      note.hidden = false;
    };
    const seedForm = $('[data-role=client-seed]', root);
    seedForm.addEventListener('submit', async (e) => {
      e.preventDefault();
      showFieldErrors(seedForm, null);
      try {
        rotated(await api.put('/gal/fairness/client-seed', { client_seed: seedForm.client_seed.value }));
        seedForm.reset();
        await load();
        rounds.reload();
      } catch (p) {
        showFieldErrors(seedForm, p);
        say(note, p.plain, 'error');
        note.hidden = false;
      }
    });
    $('[data-role=rotate]', root).addEventListener('click', async () => {
      try {
        rotated(await api.post('/gal/fairness/rotate', {}));
        await load();
        rounds.reload();
      } catch (p) {
        say(note, p.plain, 'error');
        note.hidden = false;
      }
    });
    const form = $('[data-role=verify]', root);
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      if (form.reportValidity()) verify(ctx, root, form.round_id.value.trim());
    });
    const rounds = new DataTable($('[data-role=rounds]', root), {
      pageSize: 10,
      sort: '-created_at',
      empty: 'You have not played yet.',
      columns: [
        { label: 'Played', sort: 'created_at', cell: (r) => time(r.created_at) },
        { label: 'Game', key: 'game_slug' },
        { label: 'Stake', num: true, cell: (r) => ctx.money(r.amount) },
        { label: 'Payout', num: true, cell: (r) => ctx.money(r.payout) },
        { label: 'Nonce', num: true, cell: (r) => String(r.rng.nonce) },
        { label: 'Seed', cell: (r) => (r.rng.server_seed ? 'revealed' : 'secret') },
        {
          label: 'Check',
          cell: (r) => h('button', { type: 'button', class: 'btn btn-ghost btn-small', 'aria-label': `Verify round ${r.id.slice(0, 8)}`, onclick: () => { form.round_id.value = r.id; verify(ctx, root, r.id); } }, 'Verify'),
        },
      ],
      load: (page) => api.get('/gal/rounds', page),
    });
    await rounds.reload();
    if (param) {
      form.round_id.value = param;
      await verify(ctx, root, param);
    }
  },
};
