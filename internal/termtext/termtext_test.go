package termtext

import (
	"strings"
	"testing"
)

func TestWrap(t *testing.T) {
	for _, tc := range []struct {
		in    string
		width int
		want  []string
	}{
		{"aaa bbb ccc", 7, []string{"aaa bbb", "ccc"}},
		{"あいうえおかきくけこ", 10, []string{"あいうえお", "かきくけこ"}},
		{"あいうえ、かきくけこ", 8, []string{"あいう", "え、かき", "くけこ"}}, // 、 never starts a line
		{"aaaaaaaaaaaaaaaaaaaa", 8, []string{"aaaaaaaa", "aaaaaaaa", "aaaa"}},
	} {
		got := Wrap(tc.in, tc.width, tc.width)
		if strings.Join(got, "|") != strings.Join(tc.want, "|") {
			t.Errorf("Wrap(%q, %d) = %q, want %q", tc.in, tc.width, got, tc.want)
		}
	}
}

// Japanese breaks between words: not inside a kanji or katakana word, not
// before a particle; English words next to Japanese stay whole.
func TestWrapJapaneseWords(t *testing.T) {
	for _, tc := range []struct {
		in    string
		width int
		want  []string
	}{
		{"設定ファイルを確認してください", 20, []string{"設定ファイルを", "確認してください"}},
		{"確認するのは問い合わせ元のアドレスだけ", 30, []string{"確認するのは問い合わせ元の", "アドレスだけ"}},
		{"IPoE ルータの DHCP 機能を ON にしてください", 24, []string{"IPoE ルータの DHCP", "機能を ON にしてください"}},
		{"共有IPv4アドレスは自分のものではありません", 24, []string{"共有IPv4アドレスは", "自分のものではありません"}},
	} {
		got := Wrap(tc.in, tc.width, tc.width)
		if strings.Join(got, "|") != strings.Join(tc.want, "|") {
			t.Errorf("Wrap(%q, %d) = %q, want %q", tc.in, tc.width, got, tc.want)
		}
		for _, l := range got {
			if DisplayWidth(l) > tc.width {
				t.Errorf("%q is wider than %d", l, tc.width)
			}
		}
	}
}

func TestWrapKeepsOpeningBracket(t *testing.T) {
	got := Wrap("あいう（かきくけ", 8, 12)
	if len(got) != 2 || got[0] != "あいう" || got[1] != "（かきくけ" {
		t.Fatalf("%q", got)
	}
}

func TestDisplayWidth(t *testing.T) {
	for _, c := range []struct {
		s string
		w int
	}{{"dualpath", 8}, {"回線", 4}, {"ＰＰＰｏＥ", 10}, {"e\u0301", 1}, {"a\tb", 2}} {
		if got := DisplayWidth(c.s); got != c.w {
			t.Errorf("DisplayWidth(%q) = %d, want %d", c.s, got, c.w)
		}
	}
}
