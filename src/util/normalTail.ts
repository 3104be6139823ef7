/**
 * The standard normal's two-sided tail, P(|Z| ≥ z) = erfc(z / √2), by the
 * Chebyshev fit of Numerical Recipes (relative error below 1.2e-7 everywhere),
 * so tiny tails keep their relative precision instead of rounding to 0 early.
 */
export function normalTwoSidedTail(z: number): number {
  const x = Math.abs(z) / Math.SQRT2;
  const t = 1 / (1 + 0.5 * x);
  return (
    t *
    Math.exp(
      -x * x -
        1.26551223 +
        t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    )
  );
}
