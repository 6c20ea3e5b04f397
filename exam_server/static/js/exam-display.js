// The exam page's display settings (issue 10): a high-contrast theme and a text size that the
// candidate chooses on the page. They are this browser's settings, not the attempt's: kept in
// localStorage, applied to <html> (data-theme, data-font-size) so every view and dialog follows,
// and restored on every load, so a reload or a kiosk restart keeps them.
const THEME_KEY = "exam.display.theme";
const SIZE_KEY = "exam.display.font_size";
const SIZES = ["normal", "large", "larger"];

function read(key) {
  try { return localStorage.getItem(key); } catch { return null; }
}
function write(key, value) {
  try { localStorage.setItem(key, value); } catch { /* private mode: the setting lasts the page */ }
}

function apply(theme, size) {
  const root = document.documentElement;
  if (theme === "high-contrast") root.dataset.theme = "high-contrast";
  else delete root.dataset.theme;
  root.dataset.fontSize = SIZES.includes(size) ? size : "normal";
}

export function setUpDisplay(controls) {
  const contrast = controls.querySelector("[data-contrast]");
  const size = controls.querySelector("[data-text-size]");
  let theme = read(THEME_KEY) === "high-contrast" ? "high-contrast" : "default";
  let chosen = SIZES.includes(read(SIZE_KEY)) ? read(SIZE_KEY) : "normal";
  const render = () => {
    apply(theme, chosen);
    contrast.setAttribute("aria-pressed", String(theme === "high-contrast"));
    size.value = chosen;
  };
  contrast.addEventListener("click", () => {
    theme = theme === "high-contrast" ? "default" : "high-contrast";
    write(THEME_KEY, theme);
    render();
  });
  size.addEventListener("change", () => {
    chosen = SIZES.includes(size.value) ? size.value : "normal";
    write(SIZE_KEY, chosen);
    render();
  });
  render();
}

const controls = document.querySelector("[data-display-controls]");
if (controls) setUpDisplay(controls);
