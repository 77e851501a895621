"""Checks the README's abbreviated curl answers against the answers the server really gave.

    python3 readme_answers.py README.md transcript.txt

The README shows each answer with parts left out as "…"; every piece between the "…" must appear
in the real answer, in order. The transcript is the curl block's output: the JSON answers one after
another. Exits non-zero, naming the first piece not found, when the README says what the server
does not.
"""

import json
import sys

MARK = "The three answers above, abbreviated"


def shown_answers(readme):
    lines = readme.splitlines()
    start = next(i for i, line in enumerate(lines) if MARK in line)
    fence = next(i for i in range(start, len(lines)) if lines[i].startswith("```"))
    end = next(i for i in range(fence + 1, len(lines)) if lines[i].startswith("```"))
    return [line for line in lines[fence + 1:end] if line.strip()]


def real_answers(transcript):
    decoder, answers, at = json.JSONDecoder(), [], 0
    while at < len(transcript):
        if transcript[at].isspace():
            at += 1
            continue
        _, end = decoder.raw_decode(transcript, at)
        answers.append(transcript[at:end])
        at = end
    return answers


def main():
    shown = shown_answers(open(sys.argv[1], encoding="utf-8").read())
    real = real_answers(open(sys.argv[2], encoding="utf-8").read())
    if len(shown) != len(real):
        sys.exit(f"the README shows {len(shown)} answers; curl got {len(real)}")
    for n, (line, answer) in enumerate(zip(shown, real), 1):
        at = 0
        for piece in line.split("…"):
            found = answer.find(piece, at)
            if found < 0:
                sys.exit(f"answer {n}: the README shows {piece!r}, which the server's answer does not hold "
                         f"(after character {at}): {answer[at:at + 300]}")
            at = found + len(piece)
    print(f"readme: the {len(shown)} answers shown are what the server answered")


if __name__ == "__main__":
    main()
