package hostnet

// opKind is one kind of journalled host change, in the manner of ppp's
// automaton and its callbacks: the Journal does the bookkeeping (record
// before, forget after, replay after a crash) and each kind knows its own
// change. A kind's apply is its public Journal method (AddAddress,
// CreateTUN, ...), which builds the record and makes the change through
// Journal.apply; undo reverses a recorded change (an "already gone" error
// counts as done); describe says it in `ip`-like words. Each kind is one
// file, journal_<kind>_linux.go, registering itself under the name its
// records carry in "op"; the names never change, so journals written by
// earlier versions still replay.
type opKind interface {
	undo(j *Journal, r record) error
	describe(r record) Change
}

var opKinds = map[string]opKind{}

func registerOp(name string, k opKind) {
	if _, dup := opKinds[name]; dup {
		panic("hostnet: journal op " + name + " registered twice")
	}
	opKinds[name] = k
}

// undo reverses one change; "already gone" is success, and so is a kind
// this version does not know (nothing it could have made).
func (j *Journal) undo(r record) error {
	k, ok := opKinds[r.Op]
	if !ok {
		return nil
	}
	if err := k.undo(j, r); !gone(err) {
		return err
	}
	return nil
}

// describe renders a record in `ip`-like words.
func describe(r record) Change {
	if k, ok := opKinds[r.Op]; ok {
		return k.describe(r)
	}
	return Change{r.Op, r.Op}
}
