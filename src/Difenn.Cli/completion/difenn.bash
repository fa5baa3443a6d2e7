# bash completion for difenn, through System.CommandLine's [suggest] directive: the program itself lists what may come
# next (commands, options, enum values such as --kind), so completion never falls behind the CLI.
# Use: source this file from ~/.bashrc (README: "Shell completion"). dotnet-suggest's shim does the same for every
# System.CommandLine program, where that global tool is installed.
_difenn_complete() {
    local IFS=$'\n'
    local candidates
    candidates=$("${COMP_WORDS[0]}" "[suggest:${COMP_POINT}]" "${COMP_LINE}" 2>/dev/null) || return 0
    COMPREPLY=($(compgen -W "${candidates}" -- "${COMP_WORDS[COMP_CWORD]}"))
}
complete -o default -F _difenn_complete difenn
