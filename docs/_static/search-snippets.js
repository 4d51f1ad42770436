// Search result snippets quote the page's main area, which in this theme starts with its buttons' labels
// ("System Settings Light Dark"). Drop the buttons and the prev/next footer before Sphinx picks the snippet.
(() => {
  if (typeof Search === 'undefined' || !Search.htmlToText) return;
  const htmlToText = Search.htmlToText;
  Search.htmlToText = (html, anchor) => {
    const doc = new DOMParser().parseFromString(html, 'text/html');
    doc.querySelectorAll('.bd-header-article, .prev-next-area, .theme-switch-button, #print-main-content').forEach(el => el.remove());
    return htmlToText(doc.documentElement.outerHTML, anchor);
  };
})();
