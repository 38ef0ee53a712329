package config

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// docHeading is how docs/config*.md name a key: a heading holding only the
// key path in backquotes.
var docHeading = regexp.MustCompile("(?m)^#{2,3} `([^`]+)`\\s*$")

// The reference documents every key the decoder accepts, in both languages,
// in the decoder's order, and documents no key the decoder refuses.
func TestDocsCoverEveryKey(t *testing.T) {
	keys := Keys()
	if len(keys) < 40 || keys[0] != "interface" {
		t.Fatalf("Keys() = %v: the walk of the Config types is broken", keys)
	}
	accepted := map[string]bool{}
	for _, k := range keys {
		accepted[k] = true
	}
	for _, doc := range []string{"../../docs/config.md", "../../docs/config.ja.md"} {
		b, err := os.ReadFile(doc)
		if err != nil {
			t.Fatal(err)
		}
		var documented []string
		seen := map[string]bool{}
		for _, m := range docHeading.FindAllStringSubmatch(string(b), -1) {
			k := m[1]
			if !accepted[k] {
				t.Errorf("%s documents %q, which the config does not accept", doc, k)
				continue
			}
			if seen[k] {
				t.Errorf("%s documents %q twice", doc, k)
			}
			seen[k] = true
			documented = append(documented, k)
		}
		var missing []string
		for _, k := range keys {
			if !seen[k] {
				missing = append(missing, k)
			}
		}
		if len(missing) > 0 {
			t.Errorf("%s does not document %s: add a heading \"## `KEY`\" or \"### `KEY`\" with type, default, allowed values, an example and what it changes on the host",
				doc, strings.Join(missing, ", "))
			continue
		}
		var want []string
		for _, k := range keys {
			if seen[k] {
				want = append(want, k)
			}
		}
		if strings.Join(documented, " ") != strings.Join(want, " ") {
			t.Errorf("%s: keys are not in the order of the file:\n got %v\nwant %v", doc, documented, want)
		}
	}
}

var yamlBlock = regexp.MustCompile("(?s)```yaml\n(.*?)```")

// Every complete example in the reference decodes and validates (secret
// files and groups aside, which are on the reader's machine).
func TestDocsExamplesAreValid(t *testing.T) {
	for _, doc := range []string{"../../docs/config.md", "../../docs/config.ja.md"} {
		b, err := os.ReadFile(doc)
		if err != nil {
			t.Fatal(err)
		}
		blocks := yamlBlock.FindAllStringSubmatch(string(b), -1)
		if len(blocks) < 6 {
			t.Errorf("%s has %d examples, want one per mode and provider", doc, len(blocks))
		}
		for i, m := range blocks {
			c, err := Parse(doc, []byte(m[1]))
			if err == nil {
				err = c.validate(validateOpts{})
			}
			if err != nil {
				t.Errorf("%s example %d: %v\n%s", doc, i+1, err, m[1])
			}
		}
	}
}
