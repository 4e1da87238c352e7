// Package propnames answers the two questions the manifest and tile checks
// ask of a job spec's dotted property names when a manifest sets a key the
// spec does not declare: which declared names lie below it, and which one a
// misspelt or renamed key may have meant.
package propnames

import (
	"sort"
	"strings"
)

// Below lists the names under name (name.x, name.x.y, ...), sorted.
func Below[V any](names map[string]V, name string) []string {
	var out []string
	for p := range names {
		if strings.HasPrefix(p, name+".") {
			out = append(out, p)
		}
	}
	sort.Strings(out)
	return out
}

// Similar suggests what a misspelt or renamed key may have meant: names at
// the same depth, under the same parent, whose last part is the key's with
// something added or cut off (subnet, subnet_range) or at most two edits
// away (max_container, max_containers). Sorted, without repeats.
func Similar[V any](names map[string]V, name string) []string {
	parts := strings.Split(name, ".")
	parent, last := strings.Join(parts[:len(parts)-1], "."), parts[len(parts)-1]
	seen := map[string]bool{}
	for p := range names {
		pparts := strings.Split(p, ".")
		if len(pparts) < len(parts) || strings.Join(pparts[:len(parts)-1], ".") != parent {
			continue
		}
		candidate := pparts[len(parts)-1]
		if strings.HasPrefix(candidate, last) || strings.HasPrefix(last, candidate) || editDistance(candidate, last) <= 2 {
			seen[strings.Join(pparts[:len(parts)], ".")] = true
		}
	}
	out := make([]string, 0, len(seen))
	for c := range seen {
		out = append(out, c)
	}
	sort.Strings(out)
	return out
}

// editDistance is the Levenshtein distance between a and b.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
