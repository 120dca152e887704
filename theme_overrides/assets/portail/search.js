// Search page (/recherche/): starts Pagefind's UI in French and keeps the
// query and the filters in the address, ?q=...&filtre=Nom:valeur, so that a
// search can be shared and Back returns to the previous one. Pagefind's
// files come from this site only (pagefind/, written at build time).
// On the listings of a type, it also adds a filter of that type's items.
(() => {
  "use strict";

  const QUERY = "q";
  const FILTER = "filtre";
  // ?tri=date: newest first, by the items' data-pagefind-sort="date" (Pagefind
  // leaves out the pages without a date, such as the directory's actors).
  const SORT = "tri";
  const SORTS = { date: { date: "desc" } };
  // A pause longer than this between two searches makes a new history entry;
  // quicker changes (typing) replace the current one.
  const NEW_ENTRY_AFTER_MS = 1500;
  // Metadata keys Pagefind's UI reads itself; the other lower-case keys
  // (resume...) are for scripts, and capitalised ones are shown as tags.
  const UI_KEYS = new Set(["title", "image", "image_alt", "url"]);

  // recherche: {parties: N} in mkdocs.yml (generators/search_parts.py): the
  // index is in parts, which pagefind/portail-parties.json lists; the page
  // carries data-search-parts. Pagefind's mergeIndex adds a part for good,
  // so they are merged once per page load, on the module the UI shares.
  const PARTS_MANIFEST = "portail-parties.json";

  /** Pagefind's module from bundle (a URL), with its options set and the other parts merged. */
  async function loadPagefind(bundle, options, parted) {
    const pagefind = await import(new URL("pagefind.js", bundle).href);
    await pagefind.options(options);
    if (parted) {
      const response = await fetch(new URL(PARTS_MANIFEST, bundle));
      if (!response.ok) throw new Error(`${PARTS_MANIFEST}: ${response.status}`);
      const { parties } = await response.json();
      // A part waits for the first part's WebAssembly: start that one.
      await pagefind.init();
      await Promise.all(parties.map((part) => pagefind.mergeIndex(new URL(part, bundle).pathname, { baseUrl: options.baseUrl })));
    }
    return pagefind;
  }

  /** The search in an address: {q: "...", filters: {Nom: ["valeur", ...]}}. */
  function readState(search) {
    const params = new URLSearchParams(search);
    const filters = {};
    for (const entry of params.getAll(FILTER)) {
      const cut = entry.indexOf(":");
      if (cut > 0 && cut < entry.length - 1) {
        (filters[entry.slice(0, cut)] ||= []).push(entry.slice(cut + 1));
      }
    }
    const sort = params.get(SORT) || "";
    return { q: (params.get(QUERY) || "").trim(), filters, sort: sort in SORTS ? sort : "" };
  }

  /** The query string of a search; filters sorted so that equal searches give equal addresses. */
  function writeState(state) {
    const params = new URLSearchParams();
    if (state.q) params.set(QUERY, state.q);
    for (const name of Object.keys(state.filters).sort()) {
      for (const value of [...state.filters[name]].sort()) params.append(FILTER, `${name}:${value}`);
    }
    if (state.sort) params.set(SORT, state.sort);
    const text = params.toString();
    return text ? `?${text}` : "";
  }

  function checkedFilters(container) {
    const filters = {};
    container.querySelectorAll(".pagefind-ui__filter-checkbox:checked").forEach((box) => {
      (filters[box.name] ||= []).push(box.value);
    });
    return filters;
  }

  // Tags under a result: what it is and where first, its status last.
  const tagRank = (key) => (key === "Type" ? 0 : key.startsWith("Territoire") ? 1 : key === "Statut" ? 3 : 2);

  /** French punctuation for the "Name: value" tags Pagefind's UI prints, and image URLs. */
  function resultShaper() {
    return (data) => {
      const meta = {};
      for (const [key, value] of Object.entries(data.meta || {})) {
        if (UI_KEYS.has(key) && value !== "") meta[key] = value; // an item without a picture has an empty image
      }
      // Images are written relative to their page.
      if (meta.image) meta.image = new URL(meta.image, new URL(data.url, window.location.href)).pathname;
      const tags = Object.entries(data.meta || {}).filter(([key]) => !UI_KEYS.has(key) && /^\p{Lu}/u.test(key));
      tags.sort(([a], [b]) => tagRank(a) - tagRank(b));
      for (const [key, value] of tags) meta[`${key}\u00a0`] = value;
      if (!data.excerpt && data.meta && data.meta.resume) data.excerpt = data.meta.resume;
      data.meta = meta;
      return data;
    };
  }

  function start(element) {
    const siteRoot = new URL(element.dataset.siteRoot || "./", window.location.href);
    const mount = element.querySelector("#portail-search-ui");
    const status = element.querySelector("#portail-search-status");
    const translationsNode = document.getElementById("portail-search-translations");
    const translations = translationsNode ? JSON.parse(translationsNode.textContent) : {};
    const openFilters = JSON.parse(element.dataset.openFilters || "[]");
    const initial = readState(window.location.search);
    let state = initial;
    let lastChange = 0;

    const sync = (next, mode) => {
      state = next;
      const search = writeState(state);
      if (search === window.location.search) return;
      const url = `${window.location.pathname}${search}${window.location.hash}`;
      const now = Date.now();
      if (mode === "push" || (mode === "auto" && now - lastChange > NEW_ENTRY_AFTER_MS)) {
        window.history.pushState(null, "", url);
      } else {
        window.history.replaceState(null, "", url);
      }
      lastChange = now;
    };

    // Pagefind's UI loads the filter list while it runs its first search;
    // on a busy machine the two race and the panel misses some filters.
    // Loading the filters first (the UI then reuses the same module and its
    // loaded files) avoids that.
    // With an index in parts, the UI starts once they are merged (below).
    const parted = "searchParts" in element.dataset;
    const bundle = new URL("pagefind/", siteRoot);
    const prepare = () => loadPagefind(bundle, { baseUrl: siteRoot.pathname, excerptLength: 30 }, parted)
      .then((pagefind) => pagefind.filters())
      .catch(() => undefined);
    let ready = prepare();

    const makeUI = (sort) => new window.PagefindUI({
      element: mount,
      sort: SORTS[sort] || undefined,
      bundlePath: new URL("pagefind/", siteRoot).pathname,
      baseUrl: siteRoot.pathname,
      translations,
      showImages: true,
      showSubResults: false,
      showEmptyFilters: false,
      openFilters,
      pageSize: 10,
      excerptLength: 30,
      resetStyles: true,
      autofocus: !initial.q,
      processResult: resultShaper(),
      processTerm: (term) => {
        sync({ ...state, q: term.trim() }, "auto");
        return term;
      },
    });
    let ui = null;
    const begin = () => {
      if (ui) return;
      ui = makeUI(initial.sort);
      ui.sort = initial.sort;
    };

    const input = () => mount.querySelector(".pagefind-ui__search-input");

    // Pagefind's UI takes its sort order when it starts: a new order starts a new UI.
    const sorter = element.querySelector("#portail-search-sort");
    const resort = (sort) => {
      if (ui && ui.sort === sort) return false;
      if (ui) {
        ui.destroy(); // which also ends the module's Pagefind, and the parts merged into it
        if (parted) {
          ready = import(new URL("pagefind.js", bundle).href)
            .then((pagefind) => pagefind.destroy())
            .then(prepare);
        }
      }
      mount.replaceChildren();
      ui = makeUI(sort);
      ui.sort = sort;
      return true;
    };
    if (sorter) {
      sorter.value = initial.sort;
      sorter.closest("[hidden]")?.removeAttribute("hidden");
      sorter.addEventListener("change", () => {
        const next = { ...state, sort: sorter.value in SORTS ? sorter.value : "" };
        sync(next, "push");
        apply(next);
      });
    }

    const apply = (target) => {
      if (sorter && sorter.value !== target.sort) sorter.value = target.sort;
      const fresh = resort(target.sort);
      state = target;
      const header = document.getElementById("portail-header-q");
      if (header) header.value = target.q;
      const search = () => {
        if (state !== target) return; // a later search replaced this one
        ui.triggerFilters(target.filters);
        if (target.q) {
          ui.triggerSearch(target.q);
        } else if (input()) {
          input().value = "";
          input().dispatchEvent(new Event("input", { bubbles: true }));
        }
      };
      // A UI just started: search once Pagefind is loaded, after its mount.
      if (fresh) ready.then(() => setTimeout(search, 0));
      else search();
    };

    // Filters are checkboxes of Pagefind's UI: read them once it has updated.
    mount.addEventListener("change", (event) => {
      if (event.target.matches(".pagefind-ui__filter-checkbox")) {
        sync({ ...state, filters: checkedFilters(mount) }, "push");
      }
    });
    mount.addEventListener("input", (event) => {
      if (event.target.matches(".pagefind-ui__search-input") && !event.target.value.trim()) {
        sync({ ...state, q: "" }, "replace");
      }
    });
    window.addEventListener("popstate", () => apply(readState(window.location.search)));

    // Pagefind's result count is not announced: repeat it in a live region.
    if (status) {
      let timer = null;
      new MutationObserver(() => {
        clearTimeout(timer);
        timer = setTimeout(() => {
          const message = mount.querySelector(".pagefind-ui__message");
          const text = message ? message.textContent.trim() : "";
          if (status.textContent !== text) status.textContent = text;
        }, 500);
      }).observe(mount, { childList: true, subtree: true, characterData: true });
    }

    if (parted) ready.then(begin);
    else begin();
    if (initial.q || Object.keys(initial.filters).length) ready.then(() => apply(initial));
  }

  // -- listings: filter the type's items as you type ------------------------
  // The header form says which type a listing shows; the static list stays
  // the page's content (and what works without JavaScript), hidden while a
  // query narrows it. Pagefind is loaded on the first focus only.

  const LISTING_LIMIT = 30;

  function make(tag, attributes = {}, text = "") {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
    if (text) node.textContent = text;
    return node;
  }

  function enhanceListing(form) {
    const content = document.querySelector(".md-content__inner");
    const anchor = content && (content.querySelector(":scope > .portail-lead") || content.querySelector(":scope > h1"));
    if (!anchor) return;
    const siteRoot = new URL("../", form.action);
    const filter = { [form.dataset.listingFilter]: form.dataset.listingValue };
    const box = make("div", { class: "portail-listing-search" });
    const label = make("label", { for: "portail-listing-q" }, `Filtrer les ${form.dataset.listingLabel}`);
    const input = make("input", { id: "portail-listing-q", type: "search", autocomplete: "off", enterkeyhint: "search", placeholder: "Un mot, un lieu, une thématique…" });
    const status = make("p", { class: "portail-listing-search__status", role: "status", "aria-live": "polite" });
    const list = make("ul", { class: "portail-cards portail-listing-search__results" });
    const more = make("p", { class: "portail-listing-search__more" });
    // The filters that split this listing's items, with their counts, as
    // selects (the same names and values as the search page's panel).
    const facets = JSON.parse(form.dataset.listingFacets || "[]");
    const selects = [];
    box.append(label, input);
    if (facets.length) {
      const fieldset = make("fieldset", { class: "portail-listing-search__facets" });
      fieldset.append(make("legend", {}, "Affiner la liste"));
      facets.forEach((facet, number) => {
        const id = `portail-listing-facet-${number + 1}`;
        const field = make("div", { class: "portail-listing-search__facet" });
        const select = make("select", { id, "data-filter": facet.name });
        select.append(make("option", { value: "" }, "Tous"));
        for (const [value, count] of facet.values) select.append(make("option", { value }, `${value} (${count})`));
        field.append(make("label", { for: id }, facet.name), select);
        fieldset.append(field);
        selects.push(select);
      });
      box.append(fieldset);
    }
    box.append(status, list, more);
    anchor.after(box);
    const page = [];
    for (let node = box.nextElementSibling; node; node = node.nextElementSibling) page.push(node);

    let pagefind = null;
    const load = () =>
      (pagefind ||= loadPagefind(new URL("pagefind/", siteRoot), { baseUrl: siteRoot.pathname, excerptLength: 20 }, "searchParts" in form.dataset));
    const show = (narrowed) => page.forEach((node) => { node.hidden = narrowed; });

    const chosen = () => {
      const filters = {};
      for (const select of selects) if (select.value) filters[select.dataset.filter] = select.value;
      return filters;
    };

    let latest = 0;
    const run = async () => {
      const query = input.value.trim();
      const narrowing = chosen();
      const runId = ++latest;
      if (!query && !Object.keys(narrowing).length) {
        show(false);
        list.replaceChildren();
        status.textContent = "";
        more.replaceChildren();
        return;
      }
      const found = await (await load()).search(query || null, { filters: { ...filter, ...narrowing } });
      const data = await Promise.all(found.results.slice(0, LISTING_LIMIT).map((r) => r.data()));
      if (runId !== latest) return;
      show(true);
      list.replaceChildren(...data.map((d) => {
        const item = make("li", { class: "portail-card" });
        const title = make("p", { class: "portail-card__title" });
        title.append(make("a", { href: d.url }, d.meta.title || d.url));
        item.append(title);
        if (d.meta.resume) item.append(make("p", { class: "portail-card__summary" }, d.meta.resume));
        return item;
      }));
      const count = found.results.length;
      const what = [query ? `«\u00a0${query}\u00a0»` : "", ...Object.values(narrowing)].filter(Boolean).join(", ");
      status.textContent = count === 0
        ? `Aucun résultat pour ${what}.`
        : `${count} résultat${count > 1 ? "s" : ""} pour ${what}${count > LISTING_LIMIT ? ` (les ${LISTING_LIMIT} premiers)` : ""}.`;
      const everywhere = new URL(form.action);
      const filters = { [form.dataset.listingFilter]: [form.dataset.listingValue] };
      for (const [name, value] of Object.entries(narrowing)) filters[name] = [value];
      everywhere.search = writeState({ q: query, filters });
      more.replaceChildren(make("a", { href: everywhere.href }, "Affiner dans la recherche, avec les filtres"));
    };
    let timer = null;
    input.addEventListener("focus", load, { once: true });
    input.addEventListener("input", () => {
      clearTimeout(timer);
      timer = setTimeout(run, 250);
    });
    for (const select of selects) select.addEventListener("change", run);
  }

  function init() {
    const listing = document.querySelector(".portail-header-search[data-listing-filter]");
    if (listing) enhanceListing(listing);
    const element = document.querySelector("[data-portail-search]");
    if (!element) return;
    if (typeof window.PagefindUI !== "function") {
      const note = document.createElement("p");
      note.textContent = "Le moteur de recherche n'a pas pu être chargé. Rechargez la page ou parcourez les rubriques du menu.";
      element.prepend(note);
      return;
    }
    start(element);
  }

  // This script is deferred, and so is Pagefind's UI after it: both have run
  // by DOMContentLoaded.
  document.addEventListener("DOMContentLoaded", init);
})();
