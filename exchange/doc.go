// Package exchange is an offline model of how Microsoft Exchange (Server
// on-premises and Exchange Online) decides where a message goes: transport
// rules in priority order, then connector selection, then the next hop.
//
// It is pure: no I/O, no clock, no network. An Org is filled either from
// relaywiz's own plan (steps.Model) or from a JSON export of a live
// organisation; the field names are Exchange's own property names (the
// New-*/Set-* parameter names), so an export reader maps one to one.
//
// The model follows Microsoft's documented behaviour (the cmdlet reference
// in MicrosoftDocs/office-docs-powershell and the mail-flow articles).
// Where the behaviour is inferred rather than documented, the code says so
// and the trace marks it. Anything the model does not know (an unknown rule
// predicate or action, a distribution group whose members it was not given)
// makes the outcome "unknown": never a silent yes or no.
package exchange
