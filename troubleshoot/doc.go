// Package troubleshoot answers "did this message really go out through the
// secure-mail provider?" from what the message itself records, and holds the
// other diagnosis helpers of relaywiz headers/explain/doctor.
//
// Analyze reads a received message (an .eml, an Outlook .msg, or only its
// pasted headers) and rebuilds the Received chain oldest hop first, reading
// each MTA's from/by/with forms (received.go, receivedfrom.go, dates.go). It
// collects the markers the Exchange rules and provider add-ins rely on
// (zivver-relay, x-zivver-ignore-smtp-recipients, X-CS-Sensitivity,
// msip_labels, anti-loop headers), the authentication verdicts and Microsoft
// 365's anti-spam report (antispam.go), lists attached messages (attached.go,
// msg.go), and gives a verdict with reasons, most likely cause first. It
// never touches the network. The DNS checks in dnschecks.go use an injected
// Resolver so tests never query real DNS.
package troubleshoot
