/** Placeholder replaced below once a named parameter set exists. */
export function runDemo(): void {
  console.log("coxswain");
}
