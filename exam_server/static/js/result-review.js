// A result as the candidate saw it (templates/results/_review.html): typeset the formulas of the
// stems and options, as the exam page does.
import { typesetMath, whenMathReady } from "./item-render.js";

whenMathReady(() => {
  for (const list of document.querySelectorAll("[data-review]")) typesetMath(list);
});
