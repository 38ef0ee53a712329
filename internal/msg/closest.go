package msg

import "strings"

// Closest returns the choice nearest to word (case-insensitive edit
// distance, a swap of neighbours counting one), or "" when none is close
// enough to be what was meant: distance 1 for short words, 2 for longer.
// It is for "did you mean" in messages (`mydsn` -> mydns, `ppoe` -> pppoe).
func Closest(word string, choices []string) string {
	w := strings.ToLower(word)
	limit := min(2, max(1, len(w)/3))
	best, bestD := "", limit+1
	for _, c := range choices {
		d := EditDistance(w, strings.ToLower(c))
		if d == 0 {
			continue
		}
		if d < bestD || d == bestD && c < best {
			best, bestD = c, d
		}
	}
	return best
}

// EditDistance is the optimal-string-alignment distance: insertions,
// deletions, substitutions and swaps of neighbours cost 1 ("mut" -> "mtu").
func EditDistance(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		return 99
	}
	d := make([][]int, len(a)+1)
	for i := range d {
		d[i] = make([]int, len(b)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(a); i++ {
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(a)][len(b)]
}

// DidYouMean is " (did you mean "x"?)" for the choice closest to word, or
// the empty text when none is close.
func DidYouMean(word string, choices []string) Text {
	if c := Closest(word, choices); c != "" {
		return T(" (did you mean %q?)", "（%q の誤りでは？）", c)
	}
	return Text{}
}

// List joins choices for a sentence: "a, b or c" and 「a、b、c」.
func List(choices []string) Text {
	if len(choices) == 0 {
		return Text{}
	}
	en := choices[0]
	if n := len(choices); n > 1 {
		en = strings.Join(choices[:n-1], ", ") + " or " + choices[n-1]
	}
	return Text{EN: en, JA: strings.Join(choices, "、")}
}
