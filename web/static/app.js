// Drover dashboard: polls the read-only JSON API and renders it.
"use strict";
const $ = (s) => document.querySelector(s);
const esc = (s) => String(s ?? "").replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" }[c]));
// sid is a scheduler's id, or ? (with why) when its record is unreadable.
const sid = (s) => (s.record_error ? `<span title="${esc(s.record_error)}">?</span>` : esc(s.id));
const when = (t) => (t && !t.startsWith("0001") ? new Date(t).toLocaleString() : "-");

function rows(sel, list, cells) {
  $(sel + " tbody").innerHTML = list.map((x) => "<tr>" + cells(x).map((c) => "<td>" + c + "</td>").join("") + "</tr>").join("");
}

// get fetches a JSON document, giving up after 15 s; an error says why.
// skipped is how many records the API left out, unreadable
// (X-Drover-Skipped: a newer release's, mid-upgrade, or malformed).
async function get(path) {
  const r = await fetch(path, { cache: "no-store", signal: AbortSignal.timeout(15000) });
  if (!r.ok) {
    const body = await r.json().catch(() => ({}));
    throw new Error(path + ": " + r.status + (body.error ? " " + body.error : ""));
  }
  return { body: await r.json(), skipped: Number(r.headers.get("X-Drover-Skipped") || 0) };
}

// note says, beside a table, what the API left out of it: a short list is
// not passed off as the whole.
function note(sel, skipped, what) {
  $(sel).textContent = skipped > 0 ? `${skipped} ${what} unreadable here, not shown or not counted (a newer release's, malformed: see drover deadletter ls, or not readable with these credentials)` : "";
}

// updated is when the tables were last filled: a refresh that fails leaves
// them as they were, marked stale (greyed, with their time), not passed off
// as live.
let updated = null;

async function refresh() {
  try {
    // Every request settles before the refresh ends (one failing fast
    // left the others open, and each poll added more).
    const got = await Promise.allSettled([get("api/v1/cluster"), get("api/v1/tasks?limit=20"), get("api/v1/schedules?limit=20")]);
    const failed = got.find((r) => r.status === "rejected");
    if (failed) throw failed.reason;
    const [c, tasks, scheds] = got.map((r) => r.value.body);
    note("#workers-note", got[0].value.skipped, "registered workers (or their assignments)");
    note("#tasks-note", got[1].value.skipped, "tasks");
    note("#schedules-note", got[2].value.skipped, "schedules");
    const l = c.leader;
    const q = c.stats.queued || {};
    // Only the leader keeps the queue: a standby's counts are no count, nor
    // are a leader's before it has listed the queue (just elected, or
    // rebuilding its view after a lost connection), as /metrics has it.
    const queued = c.served_by !== "leader"
      ? " · queue counts: on the leader's dashboard (a standby keeps no queue)"
      : !c.stats.view_ready
        ? " · queue counts: not yet (this leader is still listing the queue)"
        : ` · queued high/normal/low: ${q.high || 0}/${q.normal || 0}/${q.low || 0} (as seen by this scheduler)` +
          // Of them, those not due yet: a retry's backoff, a start time.
          (c.stats.delayed > 0 ? `, ${c.stats.delayed} not due yet (a retry's backoff or a start time)` : "") +
          // The longest a task first in its line has waited to be placed
          // (drover_queue_head_wait_seconds): long, its workers are absent or busy.
          (c.stats.head_wait_seconds >= 1 ? ` · longest wait at the head of a line: ${Math.round(c.stats.head_wait_seconds)} s` : "");
    $("#cluster").innerHTML = l
      ? `leader <b>${sid(l)}</b> (pid ${l.record_error ? "?" : l.pid}, epoch ${l.epoch_error ? `<span title="${esc(l.epoch_error)}">?</span>` : l.epoch}) · standbys: ${(l.standbys || []).map(sid).join(", ") || "none"}` +
        queued
      : "no leader";
    rows("#workers", c.workers, (w) => [
      `<span class="mono">${esc(w.id)}</span>`, esc(w.host),
      esc(Object.entries(w.labels || {}).map(([k, v]) => k + "=" + v).join(", ")),
      // Running of capacity; then assignments waiting for a slot of the prefetch.
      `${w.running}/${w.capacity}${w.prefetch || w.waiting ? ` · waiting ${w.waiting}/${w.prefetch}` : ""}`,
      // As drover workers says; the cordon's note in the cell's title.
      `<span title="${esc(w.cordon ? w.cordon.note || "" : "")}">${esc([w.cordon && "cordoned", w.draining && "draining"].filter(Boolean).join(", ") || "up")}</span>`,
    ]);
    rows("#tasks", tasks, (t) => [
      `<span class="mono">${esc(t.id)}</span>`, esc(t.name), `<span class="${esc(t.state)}">${esc(t.state)}</span>`,
      // A listing carries no output: the task's page (its JSON, tasks/ID) has it.
      t.attempt, esc(t.worker), t.exit_code ?? "-", `<a href="task.html?id=${esc(encodeURIComponent(t.id))}">show</a>`,
    ]);
    rows("#schedules", scheds, (s) => [
      esc(s.name), `<span class="mono">${esc(s.cron)}</span>`, s.suspended ? "paused" : "active",
      when(s.next), when(s.last_slot), s.fired,
    ]);
    updated = new Date();
    document.body.classList.remove("stale");
    $("#status").textContent = "live · updated " + updated.toLocaleTimeString() + " · served by " + (c.served_by === "leader" ? "the leader" : "a standby") + " (" + c.served_by_id + ")";
  } catch (e) {
    document.body.classList.add("stale");
    $("#status").textContent = "error: " + e.message + (updated ? " · the tables are from " + updated.toLocaleTimeString() : "");
  }
}
// The next refresh is scheduled when one ends, so a slow server never has
// more than one refresh's requests from this page.
async function poll() {
  await refresh();
  setTimeout(poll, 2000);
}
poll();
