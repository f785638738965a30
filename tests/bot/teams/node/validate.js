// Validates Adaptive Cards with Microsoft's own library (npm "adaptivecards"), as Teams' renderer would.
// Reads a JSON array of cards on stdin, prints a JSON array with one entry per card:
//   {"version": "1.5", "errors": ["..."]}   (errors empty when the card is valid for schema 1.5)
const AC = require("adaptivecards/dist/adaptivecards.js");

const MAX_VERSION = AC.Versions.v1_5;

function check(json) {
  const errors = [];
  if (typeof json.version !== "string") {
    errors.push("the card has no version");
  } else {
    const version = AC.Version.parse(json.version, new AC.SerializationContext());
    if (!version || !version.isValid || version.compareTo(MAX_VERSION) > 0) {
      errors.push(`version ${json.version} is above ${MAX_VERSION.toString()} (Teams)`);
    }
  }
  const context = new AC.SerializationContext(MAX_VERSION);
  const card = new AC.AdaptiveCard();
  card.parse(json, context);
  for (let i = 0; i < context.eventCount; i++) {
    errors.push(`parse: ${context.getEventAt(i).message}`);
  }
  const results = card.validateProperties();
  for (const event of results.validationEvents) {
    errors.push(`validate: ${event.message}`);
  }
  return { version: card.version ? card.version.toString() : null, errors };
}

let input = "";
process.stdin.setEncoding("utf8");
process.stdin.on("data", (chunk) => { input += chunk; });
process.stdin.on("end", () => {
  const cards = JSON.parse(input);
  process.stdout.write(JSON.stringify(cards.map(check)));
});
