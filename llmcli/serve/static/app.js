"use strict";
// llmcli playground and arena. Everything a model writes reaches the page through
// text nodes (Node.append with strings, textContent): no HTML from a model is ever parsed.

const KEY = "llmcli.masterKey"; // sessionStorage only: gone when the tab closes
const SAVED = "llmcli.playground"; // localStorage: conversation and settings, never the key
const $ = (id) => document.getElementById(id);

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, value);
  node.append(...children); // strings become text nodes
  return node;
}

// ---- the gateway's API: master key on the first 401, SSE chunks ----------------------

let keyPrompt = null;
let keyUsed = false;

function askKey(message) {
  // Concurrent 401s (the arena's columns) wait on the one question.
  keyPrompt ??= new Promise((resolve) => {
    $("keymsg").textContent = message;
    $("key").value = "";
    $("keybox").hidden = false;
    $("key").focus();
    $("keyform").onsubmit = (event) => {
      event.preventDefault();
      sessionStorage.setItem(KEY, $("key").value);
      $("keybox").hidden = true;
      keyPrompt = null;
      resolve();
    };
  });
  return keyPrompt;
}

async function api(path, init = {}) {
  for (;;) {
    const key = sessionStorage.getItem(KEY);
    const headers = { ...init.headers };
    if (key) headers.Authorization = `Bearer ${key}`;
    const sent = performance.now();
    const res = await fetch(path, { ...init, headers, credentials: "omit" });
    res.sentAt = sent; // time to first token counts from here, not from a wait for the key
    if (res.status !== 401) return res;
    keyUsed = true;
    await askKey(key ? "That key was refused. Enter the gateway's master key."
                     : "This gateway needs its master key.");
  }
}

async function errorText(res) {
  const text = await res.text();
  try {
    const body = JSON.parse(text);
    return `${res.status}: ${body.error?.message ?? body.message ?? text}`;
  } catch {
    return `${res.status}: ${text.slice(0, 300)}`;
  }
}

async function* events(res) {
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += decoder.decode(value, { stream: true }).replace(/\r\n?/g, "\n");
    let end;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const frame = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const data = frame.split("\n").filter((l) => l.startsWith("data:"))
        .map((l) => l.slice(5).trimStart()).join("\n");
      if (data === "[DONE]") return;
      if (data) yield JSON.parse(data);
    }
  }
}

// Streams one chat completion into `answer` (an Answer); resolves when the stream ends.
async function streamChat(body, answer, signal) {
  const res = await api("/v1/chat/completions", {
    method: "POST", signal, headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
  if (!res.ok) throw new Error(await errorText(res));
  const started = res.sentAt;
  for await (const chunk of events(res)) {
    if (chunk.error) throw new Error(chunk.error.message ?? "the gateway reported an error");
    const delta = chunk.choices?.[0]?.delta ?? {};
    if (answer.ttft === null && (delta.content || delta.reasoning_content || delta.tool_calls)) {
      answer.ttft = performance.now() - started;
    }
    answer.reasoning += delta.reasoning_content ?? "";
    answer.content += delta.content ?? "";
    for (const call of delta.tool_calls ?? []) {
      const slot = (answer.tools[call.index ?? 0] ??= { name: "", arguments: "" });
      slot.name += call.function?.name ?? "";
      slot.arguments += call.function?.arguments ?? "";
    }
    for (const note of delta.annotations ?? []) {
      if (note.url_citation) answer.cite(note.url_citation.url, note.url_citation.title);
    }
    for (const url of chunk.citations ?? []) answer.cite(url);
    // A document citation (Anthropic's), where the gateway and LiteLLM put it.
    const quoted = delta.provider_specific_fields?.citation;
    if (quoted?.cited_text) answer.quote(quoted);
    if (chunk.usage) answer.usage = chunk.usage;
    answer.elapsed = performance.now() - started;
    answer.draw();
  }
}

// ---- markdown to DOM (text nodes only) -------------------------------------------------

const FENCE = /^\s*(`{3,}|~{3,})\s*([\w+#.-]*)/;
const LIST = /^(\s*)([-*+]|\d{1,9}[.)])\s+/;
const HR = /^\s*([-*_])(\s*\1){2,}\s*$/;
const TABLE_RULE = /^\s*\|?(\s*:?-+:?\s*\|)+\s*(:?-+:?\s*)?$/; // GFM: one dash is enough
const BLOCK_START = /^\s*(`{3,}|~{3,}|#{1,6}\s|>|\||([-*+]|\d+[.)])\s)/;
const indent = (line) => line.length - line.trimStart().length;
// GFM cells: split on pipes a backslash does not escape.
const cells = (row) => row.trim().replace(/^\|/, "").replace(/(?<!\\)\|$/, "")
  .split(/(?<!\\)\|/).map((c) => c.trim().replaceAll("\\|", "|"));
const align = (rule) => (rule.startsWith(":") ? (rule.endsWith(":") ? "center" : "left")
                                              : rule.endsWith(":") ? "right" : "");

function markdown(text) {
  const out = document.createDocumentFragment();
  const lines = text.split("\n");
  let i = 0;
  while (i < lines.length) {
    const line = lines[i];
    let m;
    if ((m = line.match(FENCE))) {
      const body = [];
      for (i++; i < lines.length && !lines[i].trimStart().startsWith(m[1]); i++) body.push(lines[i]);
      i++; // the closing fence (still missing while the block streams)
      out.append(el("pre", m[2] ? { "data-lang": m[2] } : {}, el("code", {}, body.join("\n"))));
    } else if (!line.trim()) {
      i++;
    } else if ((m = line.match(/^\s*(#{1,6})\s+(.*)$/))) {
      out.append(inline(el(`h${m[1].length}`), m[2]));
      i++;
    } else if (HR.test(line)) {
      out.append(el("hr"));
      i++;
    } else if (/^\s*\|/.test(line) && TABLE_RULE.test(lines[i + 1] ?? "")) {
      i = table(lines, i, out);
    } else if (/^\s*>/.test(line)) {
      const quoted = [];
      for (; i < lines.length && /^\s*>/.test(lines[i]); i++) quoted.push(lines[i].replace(/^\s*> ?/, ""));
      out.append(el("blockquote", {}, markdown(quoted.join("\n"))));
    } else if (LIST.test(line)) {
      i = list(lines, i, out);
    } else {
      let para = el("p");
      for (let first = true; i < lines.length && lines[i].trim(); i++, first = false) {
        if (!first && (m = lines[i].match(/^\s*(=+|-+)\s*$/))) {
          // A setext underline makes the paragraph a heading (=== level 1, --- level 2).
          para = el(m[1][0] === "=" ? "h1" : "h2", {}, ...para.childNodes);
          i++;
          break;
        }
        if (!first && (BLOCK_START.test(lines[i]) || HR.test(lines[i]))) break;
        if (!first) para.append(el("br"));
        inline(para, lines[i].trim());
      }
      out.append(para);
    }
  }
  return out;
}

// A GFM table: every row gets the header's number of cells, aligned as the rule says.
function table(lines, i, out) {
  const width = cells(lines[i]).length;
  const aligns = cells(lines[i + 1]).map(align);
  const row = (text, tag) => {
    const values = cells(text);
    return el("tr", {}, ...Array.from({ length: width }, (_, n) => {
      const cell = inline(el(tag), values[n] ?? "");
      if (aligns[n]) cell.dataset.align = aligns[n];
      return cell;
    }));
  };
  const head = el("thead", {}, row(lines[i], "th"));
  const body = el("tbody");
  for (i += 2; i < lines.length && /^\s*\|/.test(lines[i]); i++) body.append(row(lines[i], "td"));
  out.append(el("table", {}, head, body));
  return i;
}

// A list and its items. An item owns the lines indented under it (from its text's column,
// or 2 spaces past its marker for models that indent less), blank lines followed by such
// lines, a paragraph's unindented continuation, and all of a code fence it opens; its
// lines, dedented, are markdown again, so lists, code and quotes nest to any depth.
function list(lines, i, out) {
  const marker = lines[i].match(LIST)[2];
  const ordered = /\d/.test(marker);
  const node = el(ordered ? "ol" : "ul", ordered ? { start: parseInt(marker, 10) } : {});
  // The next item: a marker of the same kind (a bullet after numbers starts a new list).
  const next = (line) => line?.match(LIST) && /\d/.test(line.match(LIST)[2]) === ordered && !HR.test(line);
  let loose = false;
  while (i < lines.length && next(lines[i])) {
    const m = lines[i].match(LIST);
    const deep = Math.min(m[0].length, m[1].length + 2);
    const body = [lines[i].slice(m[0].length)];
    let fence = body[0].match(FENCE)?.[1];
    let gap = false; // a blank line inside the item
    for (i++; i < lines.length; i++) {
      const line = lines[i];
      const last = body[body.length - 1];
      if (fence) {
        if (line.trimStart().startsWith(fence)) fence = null;
      } else if (line.trim()) {
        const lazy = last.trim() && !BLOCK_START.test(line) && !HR.test(line)
          && !/^\s*(`{3,}|~{3,}|#)/.test(last);
        if (indent(line) < deep && !lazy) break;
        fence = line.match(FENCE)?.[1];
        if (!last.trim()) gap = true;
      }
      body.push(line.slice(Math.min(m[0].length, indent(line))));
    }
    let blanks = 0;
    while (body.length > 1 && !body[body.length - 1].trim()) { body.pop(); blanks++; }
    loose ||= gap || (blanks > 0 && next(lines[i]));
    node.append(item(body));
  }
  if (!loose) {
    // A tight list holds its text without paragraphs, as CommonMark draws it.
    for (const p of node.querySelectorAll(":scope > li > p")) p.replaceWith(...p.childNodes);
  }
  out.append(node);
  return i;
}

function item(body) {
  const li = el("li");
  const task = body[0].match(/^\[([ xX])\]\s+/);
  if (task) {
    li.className = "task";
    li.append(el("input", { type: "checkbox", disabled: "", ...(task[1] === " " ? {} : { checked: "" }) }));
    body[0] = body[0].slice(task[0].length);
  }
  li.append(markdown(body.join("\n")));
  return li;
}

const INLINE = new RegExp([
  /\\(?<escaped>[!-/:-@[-`{-~])/,
  /(?<ticks>`+)(?<code>[^`]+?)\k<ticks>/,
  /\*\*\*(?<both>.+?)\*\*\*/,
  /\*\*(?<strong>.+?)\*\*|(?<!\w)__(?<strong2>.+?)__(?!\w)/,
  /\*(?<em>[^*\s](?:[^*]*[^*\s])?)\*|(?<!\w)_(?<em2>[^_\s](?:[^_]*[^_\s])?)_(?!\w)/,
  /~~(?<del>.+?)~~/,
  // An image is a link to it: the page loads nothing from another origin.
  /!?\[(?<label>[^\]]+)\]\((?<url>[^()\s]+)\)/,
  // A bare or <bracketed> web address; trailing punctuation stays text.
  /<(?<auto>https?:\/\/[^\s<>]+)>|(?<bare>https?:\/\/[^\s<>]*[^\s<>.,;:!?'")\]*_~])/,
].map((r) => r.source).join("|"), "g");

function inline(node, text) {
  let last = 0;
  for (const m of text.matchAll(INLINE)) {
    const g = m.groups;
    node.append(text.slice(last, m.index));
    if (g.escaped) node.append(g.escaped);
    else if (g.ticks) node.append(el("code", {}, g.code));
    else if (g.both) node.append(el("strong", {}, inline(el("em"), g.both)));
    else if (g.strong ?? g.strong2) node.append(inline(el("strong"), g.strong ?? g.strong2));
    else if (g.em ?? g.em2) node.append(inline(el("em"), g.em ?? g.em2));
    else if (g.del) node.append(inline(el("del"), g.del));
    else if (g.url) node.append(link(g.label, g.url));
    else node.append(link(g.auto ?? g.bare, g.auto ?? g.bare, false));
    last = m.index + m[0].length;
  }
  node.append(text.slice(last));
  return node;
}

function link(label, url, markup = true) {
  // Only web links: a javascript: or data: URL stays text.
  if (!/^https?:\/\//i.test(url)) return `[${label}](${url})`;
  const a = el("a", { href: url, rel: "noopener noreferrer nofollow", target: "_blank" });
  return markup ? inline(a, label) : (a.append(label), a);
}

// A growing markdown text in `box`. A block ends for good at a blank line followed by an
// unindented line that is not a list item (a list goes on across blank lines, an item
// holds indented lines) outside a code fence: the text before it is drawn once, and a
// redraw per frame costs the last blocks, not the whole answer.
class Growing {
  constructor(box) {
    this.done = 0; // text[0:done] is drawn in `head` for good
    this.head = el("div");
    this.tail = el("div");
    box.append(this.head, this.tail);
  }

  draw(text) {
    const cut = this.stableEnd(text);
    if (cut > this.done) {
      this.head.append(markdown(text.slice(this.done, cut)));
      this.done = cut;
    }
    this.tail.replaceChildren(markdown(text.slice(this.done)));
  }

  stableEnd(text) {
    let cut = this.done;
    let fence = null;
    let blank = false;
    for (let at = this.done, end; (end = text.indexOf("\n", at)) >= 0; at = end + 1) {
      const line = text.slice(at, end);
      if (fence) {
        if (line.trimStart().startsWith(fence)) fence = null;
        continue;
      }
      if (blank && /^\S/.test(line) && !LIST.test(line)) cut = at;
      blank = !line.trim();
      // A fence opened by a list item's first line counts too ("- ```py").
      fence = line.replace(/^(\s*([-*+]|\d+[.)])\s+)+/, "").match(FENCE)?.[1] ?? null;
    }
    return cut;
  }
}

// ---- one answer: reasoning, markdown, tool calls, citations, figures -------------------

class Answer {
  constructor(into) {
    this.content = ""; this.reasoning = ""; this.tools = []; this.citations = [];
    this.usage = null; this.ttft = null; this.elapsed = 0; this.note = "";
    this.parts = {
      reasoning: el("details", { class: "reasoning", hidden: "" }, el("summary", {}, "Reasoning"),
                    el("div", { class: "md" })),
      text: el("div", { class: "md" }),
      tools: el("div", { class: "tools" }),
      citations: el("ol", { class: "citations" }),
      meta: el("div", { class: "meta" }),
    };
    into.append(...Object.values(this.parts));
    this.views = {
      reasoning: new Growing(this.parts.reasoning.lastChild),
      text: new Growing(this.parts.text),
    };
    this.pending = false;
  }

  cite(url, title) {
    if (url && !this.citations.some((c) => c.url === url)) this.citations.push({ url, title });
  }

  quote(doc) {
    const title = doc.document_title || `document ${(doc.document_index ?? 0) + 1}`;
    const text = doc.cited_text;
    if (!this.citations.some((c) => c.title === title && c.text === text)) this.citations.push({ title, text });
  }

  draw() {
    // One redraw per frame, however many chunks arrive in it.
    if (this.pending) return;
    this.pending = true;
    requestAnimationFrame(() => { this.pending = false; this.render(); });
  }

  render() {
    const p = this.parts;
    p.reasoning.hidden = !this.reasoning;
    this.views.reasoning.draw(this.reasoning);
    this.views.text.draw(this.content);
    p.tools.replaceChildren(...this.tools.filter(Boolean).map((t) =>
      el("div", {}, "Tool call: ", el("code", {}, t.name), el("pre", {}, t.arguments))));
    p.citations.replaceChildren(...this.citations.map((c) => (c.url
      ? el("li", {}, link(c.title || c.url, c.url, false))
      : el("li", {}, el("cite", {}, c.title), ": ", el("q", {}, c.text)))));
    p.meta.textContent = this.figures();
  }

  figures() {
    const u = this.usage ?? {};
    const out = [];
    if (this.ttft !== null) out.push(`TTFT ${Math.round(this.ttft)} ms`);
    const streaming = (this.elapsed - (this.ttft ?? 0)) / 1000;
    if (u.completion_tokens && streaming > 0) out.push(`${(u.completion_tokens / streaming).toFixed(1)} tokens/s`);
    if (u.prompt_tokens !== undefined) out.push(`${u.prompt_tokens} in · ${u.completion_tokens ?? 0} out tokens`);
    const reasoning = u.completion_tokens_details?.reasoning_tokens;
    if (reasoning) out.push(`${reasoning} reasoning`);
    out.push(typeof u.cost === "number" ? `$${u.cost.toFixed(6)}` : "cost n/a");
    if (this.note) out.push(this.note);
    return out.join(" · ");
  }

  fail(message) {
    this.note = message;
    this.parts.text.append(el("p", { class: "error" }, message));
    this.parts.meta.textContent = this.figures();
  }

  saved() {
    const { content, reasoning, tools, citations } = this;
    return { content, reasoning, tools, citations, meta: this.figures() };
  }
}

// ---- the playground --------------------------------------------------------------------

const SETTINGS = ["model", "system", "temperature", "max_tokens", "thinking"];

function loadState() {
  try {
    return { messages: [], ...JSON.parse(localStorage.getItem(SAVED) ?? "{}") };
  } catch {
    return { messages: [] };
  }
}

async function loadModels() {
  const res = await api("/v1/models");
  if (!res.ok) throw new Error(await errorText(res));
  return ((await res.json()).data ?? []).map((m) => m.id);
}

function requestBody(state, messages) {
  const body = { model: state.model, stream: true, stream_options: { include_usage: true }, messages: [] };
  if (state.system?.trim()) body.messages.push({ role: "system", content: state.system });
  // A stopped or failed answer with no text is left out: some providers refuse empty turns.
  for (const m of messages) if (m.content) body.messages.push({ role: m.role, content: m.content });
  if (state.temperature) body.temperature = Number(state.temperature);
  if (state.max_tokens) body.max_tokens = Number(state.max_tokens);
  if (state.thinking) body.reasoning_effort = state.thinking;
  return body;
}

function curlFor(body) {
  // The key is never written out: the command reads it from the environment.
  const json = JSON.stringify(body).replaceAll("'", "'\\''");
  const auth = keyUsed ? `  -H "Authorization: Bearer $LLMCLI_MASTER_KEY" \\\n` : "";
  return `curl -N ${location.origin}/v1/chat/completions \\\n`
    + `  -H 'Content-Type: application/json' \\\n${auth}  -d '${json}'`;
}

function showMessage(message) {
  if (message.role === "user") {
    $("log").append(el("div", { class: "msg user" }, message.content));
    return null;
  }
  const box = el("div", { class: "msg assistant" });
  $("log").append(box);
  const answer = new Answer(box);
  for (const part of ["content", "reasoning", "tools", "citations"]) {
    answer[part] = message[part] ?? answer[part];
  }
  answer.render();
  if (message.meta) answer.parts.meta.textContent = message.meta;
  return answer;
}

async function playground() {
  const state = loadState();
  const save = () => localStorage.setItem(SAVED, JSON.stringify(state));
  for (const name of SETTINGS.slice(1)) {
    $(name).value = state[name] ?? "";
    $(name).addEventListener("change", () => { state[name] = $(name).value; save(); });
  }
  state.messages.forEach(showMessage);
  $("model").addEventListener("change", () => { state.model = $("model").value; save(); });
  $("new").addEventListener("click", () => {
    state.messages = []; save(); $("log").replaceChildren(); $("status").textContent = "";
  });
  $("curl").addEventListener("click", async () => {
    const pending = $("prompt").value.trim();
    const messages = pending ? [...state.messages, { role: "user", content: pending }] : state.messages;
    const command = curlFor(requestBody(state, messages));
    $("curlbox").textContent = command;
    $("curlbox").hidden = false;
    try { await navigator.clipboard.writeText(command); $("status").textContent = "curl command copied"; }
    catch { $("status").textContent = "clipboard unavailable: the command is shown in the sidebar"; }
  });
  let controller = null;
  $("stop").addEventListener("click", () => controller?.abort());
  submitOnEnter();
  $("ask").addEventListener("submit", async (event) => {
    event.preventDefault();
    const prompt = $("prompt").value.trim();
    if (!prompt || controller || !state.model) return;
    $("prompt").value = "";
    const question = { role: "user", content: prompt };
    state.messages.push(question); save(); showMessage(question);
    const answer = showMessage({ role: "assistant" });
    controller = new AbortController();
    setBusy(true, "streaming…");
    try {
      await streamChat(requestBody(state, state.messages), answer, controller.signal);
      $("status").textContent = "";
    } catch (err) {
      answer.fail(err.name === "AbortError" ? "stopped" : String(err.message ?? err));
      $("status").textContent = err.name === "AbortError" ? "stopped" : "failed";
    }
    answer.render();
    state.messages.push({ role: "assistant", ...answer.saved() }); save();
    controller = null;
    setBusy(false);
  });
  try {
    const models = await loadModels();
    $("model").replaceChildren(...models.map((id) => el("option", { value: id }, id)));
    if (!models.includes(state.model)) state.model = models[0] ?? "";
    $("model").value = state.model;
    save();
  } catch (err) {
    $("status").textContent = `models: ${err.message}`;
  }
}

function setBusy(busy, text) {
  $("send").disabled = busy;
  $("stop").disabled = !busy;
  if (text !== undefined) $("status").textContent = text;
}

function submitOnEnter() {
  $("prompt").addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) { event.preventDefault(); $("ask").requestSubmit(); }
  });
}

// ---- the arena -------------------------------------------------------------------------

async function arena() {
  const models = (new URLSearchParams(location.search).get("models") ?? "")
    .split(",").map((m) => m.trim()).filter(Boolean);
  if (models.length < 2 || models.length > 4 || new Set(models).size !== models.length) {
    await pickModels();
    return;
  }
  $("vs").textContent = models.join(" vs ");
  let controllers = [];
  $("stop").addEventListener("click", () => controllers.forEach((c) => c.abort()));
  submitOnEnter();
  $("ask").addEventListener("submit", async (event) => {
    event.preventDefault();
    const prompt = $("prompt").value.trim();
    if (!prompt || controllers.length) return;
    const columns = models.map((model) => column(model));
    $("columns").replaceChildren(...columns.map((c) => c.node));
    for (const col of columns) col.vote.addEventListener("click", () => vote(models, col, columns, prompt));
    controllers = models.map(() => new AbortController());
    setBusy(true, "streaming…");
    await Promise.all(columns.map(async (col, i) => {
      const body = {
        model: models[i], stream: true, stream_options: { include_usage: true },
        messages: [{ role: "user", content: prompt }],
      };
      try {
        await streamChat(body, col.answer, controllers[i].signal);
      } catch (err) {
        col.answer.fail(err.name === "AbortError" ? "stopped" : String(err.message ?? err));
      }
      col.answer.render();
      col.vote.disabled = false;
    }));
    controllers = [];
    setBusy(false, "");
  });
}

function column(model) {
  const answerBox = el("div", { class: "answer" });
  const vote = el("button", { type: "button", class: "vote", disabled: "" }, "This one is better");
  const node = el("section", { class: "column", "data-model": model }, el("h2", {}, model), answerBox, vote);
  return { model, node, vote, answer: new Answer(answerBox) };
}

async function vote(models, chosen, columns, prompt) {
  for (const col of columns) col.vote.disabled = true;
  const res = await api("/arena/vote", {
    method: "POST", headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ models, winner: chosen.model, prompt }),
  });
  if (!res.ok) {
    $("status").textContent = `vote not recorded: ${await errorText(res)}`;
    for (const col of columns) col.vote.disabled = false;
    return;
  }
  chosen.node.classList.add("winner");
  $("status").textContent = `Vote recorded for ${chosen.model} (see \`llmcli logs arena\`).`;
}

async function pickModels() {
  $("ask").hidden = true;
  $("pick").hidden = false;
  let models = [];
  try { models = await loadModels(); } catch (err) { $("status").textContent = `models: ${err.message}`; }
  $("choices").replaceChildren(...models.map((id) =>
    el("label", {}, el("input", { type: "checkbox", value: id }), id)));
  $("pick").addEventListener("submit", (event) => {
    event.preventDefault();
    const chosen = [...$("choices").querySelectorAll("input:checked")].map((i) => i.value);
    if (chosen.length < 2 || chosen.length > 4) { $("status").textContent = "pick 2 to 4 models"; return; }
    location.search = `?models=${chosen.map(encodeURIComponent).join(",")}`;
  });
}

document.addEventListener("DOMContentLoaded", () => {
  (document.body.dataset.page === "arena" ? arena : playground)();
});
