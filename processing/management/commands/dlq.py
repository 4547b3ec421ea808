"""Dead letters: list, show, replay."""

from django.core.management.base import BaseCommand, CommandError

from processing.dead_letters import (DeadLetterNotFound, format_time, get_dead_letter, list_dead_letters,
                                     replay_dead_letters)


class Command(BaseCommand):
    help = "List, show and replay dead-lettered queue messages."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        listing = sub.add_parser("list", help="one line per dead letter")
        listing.add_argument("--limit", type=int, default=100)
        show = sub.add_parser("show", help="one dead letter with its body")
        show.add_argument("id")
        replay = sub.add_parser("replay", help="put dead letters back on the queue (after fixing the cause)")
        replay.add_argument("ids", nargs="*", help="ids to replay")
        replay.add_argument("--all", action="store_true", help="every dead letter not replayed yet")

    def handle(self, *args, action, **options):
        try:
            getattr(self, f"_{action}")(**options)
        except DeadLetterNotFound as exc:
            raise CommandError(f"no dead letter {exc}") from None

    def _list(self, limit, **options):
        letters = list_dead_letters(limit)
        for letter in letters:
            mark = " (replayed)" if letter.replayed else ""
            self.stdout.write(f"{letter.id}\t{format_time(letter.failed_at)}\tkey={letter.key}\tlines={letter.lines}"
                              f"\t{letter.source}\t{letter.error[:120]}{mark}")
        self.stdout.write(f"{len(letters)} dead letter(s)")

    def _show(self, id, **options):
        letter = get_dead_letter(id)
        self.stdout.write(f"id: {letter.id}\nkey: {letter.key}\nlines: {letter.lines}\nsource: {letter.source}\n"
                          f"failed at: {format_time(letter.failed_at)}\nerror: {letter.error}\n")
        self.stdout.write(letter.value.decode(errors="replace"))

    def _replay(self, ids, all, **options):
        if not ids and not all:
            raise CommandError("name the ids to replay, or --all")
        count = replay_dead_letters(None if all else ids)
        self.stdout.write(f"replayed {count} dead letter(s)")
