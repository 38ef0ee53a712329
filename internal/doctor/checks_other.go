//go:build !linux

package doctor

import "context"

// Checks returns the checks available on this platform: doctor's probes and
// host checks need Linux, so there is only a note saying so.
func Checks(env *Env) []Check {
	return []Check{Func{"host.platform", GroupHost, func(context.Context) Result {
		return Result{Status: Skip, Summary: T("doctor's checks need Linux", "doctor の確認には Linux が必要です")}
	}}}
}
