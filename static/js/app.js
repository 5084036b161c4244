// Small, page-wide behaviour. Page-specific scripts live beside their feature.

// 422 is how every view refuses a form (plain posts get the whole page with the messages):
// htmx swaps it into its target like a 200, so the messages appear beside the fields.
// Other 4xx and 5xx stay unswapped and reach the handler below.
if (window.htmx) {
  htmx.config.responseHandling.unshift({ code: "422", swap: true });
}

document.addEventListener("htmx:responseError", (event) => {
  // Show server-side error fragments (4xx/5xx) instead of silently doing nothing.
  const xhr = event.detail.xhr;
  if (xhr.status >= 400 && xhr.responseText && event.detail.target) {
    const box = document.getElementById("htmx-error") || document.createElement("div");
    box.id = "htmx-error";
    box.className = "flash flash-error";
    box.setAttribute("role", "alert");
    box.innerHTML = xhr.responseText;
    document.querySelector("main")?.prepend(box);
  }
});

// After htmx pushed a new URL (filters), the language switcher must come back to that URL,
// not to the one the page was first rendered with.
document.addEventListener("submit", (event) => {
  const form = event.target;
  if (form instanceof HTMLFormElement && form.classList.contains("language-switcher")) {
    const next = form.querySelector('input[name="next"]');
    if (next) next.value = window.location.pathname + window.location.search;
  }
});

// A plain form with data-confirm asks before it is sent (hx-confirm only guards requests that
// htmx sends, and the CSP forbids inline handlers). Captured on the way down, so a "no" also
// stops htmx if the form is an htmx one.
document.addEventListener(
  "submit",
  (event) => {
    const form = event.target;
    const question = form instanceof HTMLFormElement ? form.dataset.confirm : undefined;
    if (question && !window.confirm(question)) {
      event.preventDefault();
      event.stopPropagation();
    }
  },
  true,
);

// On a phone the navigation rows scroll sideways: bring the current page's link into view
// (scrolling the row only, never the page), or the highlighted link may sit off-screen.
for (const link of document.querySelectorAll('.main-nav [aria-current="page"], .staff-nav [aria-current="page"]')) {
  const nav = link.parentElement;
  if (nav.scrollWidth > nav.clientWidth) {
    const offset = link.getBoundingClientRect().left - nav.getBoundingClientRect().left;
    nav.scrollLeft += offset - (nav.clientWidth - link.offsetWidth) / 2;
  }
}

// A table wider (or, in a KPI figure, taller) than its box scrolls inside itself or its wrapper.
// Keyboard users scroll it with the arrow keys once it has focus, so a box that scrolls is
// focusable; one that fits is no extra tab stop. A wrapper is a region named after its table's
// caption; a table that scrolls itself keeps its own role (a region would hide it is a table).
function tablesScrollableByKeyboard() {
  for (const wrap of document.querySelectorAll(".table-wrap, .table")) {
    if (wrap.scrollWidth > wrap.clientWidth || wrap.scrollHeight > wrap.clientHeight) {
      wrap.tabIndex = 0;
      const caption = wrap.tagName !== "TABLE" && wrap.querySelector("caption")?.textContent.trim();
      if (caption) {
        wrap.setAttribute("role", "region");
        wrap.setAttribute("aria-label", caption);
      }
    } else if (wrap.hasAttribute("tabindex")) {
      wrap.removeAttribute("tabindex");
      wrap.removeAttribute("role");
      wrap.removeAttribute("aria-label");
    }
  }
}
tablesScrollableByKeyboard();
window.addEventListener("resize", tablesScrollableByKeyboard);
document.addEventListener("htmx:afterSettle", tablesScrollableByKeyboard);
