// Test tooling only: parses PowerShell files with tree-sitter-powershell, an
// independent third-party grammar, and reports every ERROR or MISSING node.
//
//   node .ci/psgrammar/parse.mjs FILE...     exit 0: all parsed cleanly
//                                            exit 1: a syntax error (listed on stdout)
//                                            exit 2: usage or tooling problem
//
// The grammar has one known bug: a numeric multiplier suffix (1KB, 40MB, 2GB,
// 1TB, 1PB) is accepted only in lower case, although PowerShell takes any case.
// Upper-case `40MB` does not even raise an error: it parses as a command named
// "40MB". So before parsing, exactly those tokens (digits directly followed by
// a multiplier, not part of a longer word) are lower-cased in a copy; after
// parsing, each of them must be an integer literal (or inside a string or
// comment). Nothing else is rewritten.
import { readFileSync } from "node:fs";
import Parser from "tree-sitter";
import PowerShell from "tree-sitter-powershell/bindings/node/index.js";

const files = process.argv.slice(2);
if (files.length === 0) {
	console.error("usage: node parse.mjs FILE...");
	process.exit(2);
}

const parser = new Parser();
parser.setLanguage(PowerShell);

// Digits, a multiplier in any case, and no word character around the token.
const multiplier = /(?<![\w.$-])(\d+)(kb|mb|gb|tb|pb)(?![\w])/gi;

// Position (row, column) of a string offset, for the lowered tokens.
function positionOf(text, offset) {
	const before = text.slice(0, offset);
	const row = (before.match(/\n/g) || []).length;
	return { row, column: offset - (before.lastIndexOf("\n") + 1) };
}

// Nodes a multiplier token may legitimately sit in besides an integer literal.
const textual = new Set(["comment", "string_literal", "expandable_string_literal", "verbatim_string_characters",
	"expandable_here_string_literal", "verbatim_here_string_characters", "expandable_string_characters"]);

let problems = 0;
for (const file of files) {
	let text;
	try {
		text = readFileSync(file, "utf8");
	} catch (err) {
		console.error(`${file}: ${err.message}`);
		process.exit(2);
	}
	if (text.charCodeAt(0) === 0xfeff) text = text.slice(1); // the UTF-8 BOM relaywiz writes
	const tokens = [];
	const lowered = text.replace(multiplier, (m, digits, unit, offset) => {
		tokens.push({ offset, text: m });
		return digits + unit.toLowerCase();
	});
	// The default buffer is too small for the longer apply scripts.
	const tree = parser.parse(lowered, undefined, { bufferSize: 4 * lowered.length + 65536 });
	const report = (node, what) => {
		problems++;
		const p = node.startPosition;
		const line = lowered.split("\n")[p.row] || "";
		console.log(`${file}:${p.row + 1}:${p.column + 1}: ${what} near: ${line.trim().slice(0, 120)}`);
	};
	const walk = (node) => {
		if (node.isMissing) report(node, `MISSING ${node.type}`);
		else if (node.type === "ERROR") report(node, "ERROR");
		if (node.hasError || node.isMissing) for (const c of node.children) walk(c);
	};
	walk(tree.rootNode);
	for (const t of tokens) {
		const pos = positionOf(lowered, t.offset);
		let n = tree.rootNode.descendantForPosition(pos);
		let ok = false;
		for (; n; n = n.parent) {
			if (n.type === "integer_literal" || n.type === "decimal_integer_literal" || textual.has(n.type)) { ok = true; break; }
			if (n.type === "command_name" || n.type === "generic_token") break;
		}
		if (!ok) {
			problems++;
			console.log(`${file}:${pos.row + 1}:${pos.column + 1}: ${t.text} is not parsed as a number`);
		}
	}
}
if (problems > 0) {
	console.log(`${problems} problem(s) in ${files.length} file(s)`);
	process.exit(1);
}
console.log(`parsed ${files.length} file(s): no ERROR or MISSING node`);
