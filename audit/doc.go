// Package audit proves, offline, where the mail of a relaywiz scenario
// goes: it applies the plan that `steps` renders to a model of the
// organisation (steps.ApplyToOrg, exchange), sends the scenario's messages
// through it, and reports per message the rules, the connector, the next
// hop and the verdict, then the findings, most likely cause first. It also
// draws the route. Pure: no I/O.
package audit
