// Package troubleshoot answers "did this message really go out through the
// secure-mail provider?" from what the message itself records, and holds the
// other diagnosis helpers of relaywiz headers/explain/doctor.
//
// Analyze reads a received message (or only its pasted headers), rebuilds
// the Received chain oldest hop first, collects the markers the Exchange
// rules and provider add-ins rely on (zivver-relay, x-zivver-ignore-smtp-
// recipients, X-CS-Sensitivity, msip_labels, anti-loop headers) and the
// authentication verdicts, and gives a verdict with reasons, most likely
// cause first. It never touches the network. The DNS checks in dnschecks.go
// use an injected Resolver so tests never query real DNS.
package troubleshoot
