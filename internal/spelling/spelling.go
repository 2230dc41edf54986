// Package spelling tells a mistyped name from the one meant: for "did you mean" hints, and for
// recognising a key misspelt by a bit flip.
package spelling

// Distance is the edit distance between a and b, counting a byte changed, added or removed, or two
// neighbours swapped ("sned" for "send"), as one edit each; limit+1 once it is past limit.
func Distance(a, b string, limit int) int {
	if d := len(a) - len(b); d > limit || -d > limit {
		return limit + 1
	}
	// Three rows of the table: the one before the previous is what a swap of neighbours looks back to.
	before, prev, cur := make([]int, len(b)+1), make([]int, len(b)+1), make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		best := cur[0]
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				cur[j] = min(cur[j], before[j-2]+1)
			}
			best = min(best, cur[j])
		}
		if best > limit {
			return limit + 1
		}
		before, prev, cur = prev, cur, before
	}
	return min(prev[len(b)], limit+1)
}

// Closest returns the candidate nearest to word within a distance of a third of its length (at
// least 1, at most 3), the first of equals; "" when none is that near.
func Closest(word string, candidates []string) string {
	limit := min(max(len(word)/3, 1), 3)
	best, bestDist := "", limit+1
	for _, c := range candidates {
		if d := Distance(word, c, limit); d < bestDist {
			best, bestDist = c, d
		}
	}
	return best
}
