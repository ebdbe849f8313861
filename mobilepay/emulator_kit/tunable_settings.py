"""What the emulators' settings dataclasses share: copies that do not share their dicts, taking over
another object's values, and the first checks of a JSON settings update."""

import dataclasses


class TunableSettings:
    """A mixin of an emulator's settings ``@dataclass``."""

    def copy(self):
        """A copy whose dict values (callbacks, per-currency maps) are copies too."""
        clone = dataclasses.replace(self)
        for f in dataclasses.fields(clone):
            value = getattr(clone, f.name)
            if isinstance(value, dict):
                setattr(clone, f.name, dict(value))
        return clone

    def assign(self, other) -> None:
        """Take over every value of ``other`` (the live object stays the same)."""
        fresh = other.copy()
        for f in dataclasses.fields(self):
            setattr(self, f.name, getattr(fresh, f.name))

    def _check_names(self, values) -> None:
        """ValueError unless ``values`` is an object naming only settings of this class."""
        if not isinstance(values, dict):
            raise ValueError("the settings must be an object")
        names = {f.name for f in dataclasses.fields(self)}
        unknown = sorted(set(values) - names)
        if unknown:
            raise ValueError(f"unknown settings: {', '.join(unknown)}")
