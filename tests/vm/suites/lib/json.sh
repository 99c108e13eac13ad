# Shared by the guest suites that read contigctl's JSON (sourced, not
# run):
#   . /suite-lib/json.sh

# num KEY JSON: the first "KEY":number in JSON
num() {
	printf '%s\n' "$2" | sed -n "s/.*\"$1\":\([0-9.]*\).*/\1/p" | head -n 1
}

# obj KEY JSON: the object "KEY":{...} in JSON (no nested objects)
obj() {
	printf '%s\n' "$2" | sed -n "s/.*\"$1\":\({[^}]*}\).*/\1/p"
}
