package k8s

// A Settle is a function of what is known of one ServiceAccount, and that is one of four
// cases: no input held it, or one did with automountServiceAccountToken unset, true or
// false. A caller that holds many waiting results (the scan, until its last input) can
// call a Settle once per case when it holds the result, keep the outcomes as data, and let
// the function and what it captured go; SettleCase then picks the outcome that applies.

// SettleCases are the distinct arguments a Settle can be given, in the order SettleCase
// numbers them. They must cover every value of ServiceAccountFacts that a rule can tell
// apart: a field added to it needs its cases here.
var SettleCases = [...]struct {
	SA    ServiceAccountFacts
	Found bool
}{
	{},
	{Found: true},
	{SA: ServiceAccountFacts{Automount: &settleTrue}, Found: true},
	{SA: ServiceAccountFacts{Automount: &settleFalse}, Found: true},
}

var settleTrue, settleFalse = true, false

// SettleCase is the index in SettleCases of the case (sa, found) falls in.
func SettleCase(sa ServiceAccountFacts, found bool) int {
	switch {
	case !found:
		return 0
	case sa.Automount == nil:
		return 1
	case *sa.Automount:
		return 2
	}
	return 3
}
