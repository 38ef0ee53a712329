package lab

import "github.com/dualpath/dualpath/internal/msg"

// Width is the terminal width the lab's text output fits: every line of
// `lab test`, `lab up` and `lab demo` is at most this many columns, East
// Asian wide characters counting two (as in doctor's report).
const Width = msg.Width
