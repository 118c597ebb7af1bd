from __future__ import annotations

from django import forms

from pathways.accounts.models import Agency, Role, User
from pathways.imports.formats import FORMATS
from pathways.imports.models import ImportKind
from pathways.imports.services import may_import
from pathways.web.forms import GovukFormMixin

MAX_UPLOAD_BYTES = 50 * 1024 * 1024


class UploadForm(GovukFormMixin, forms.Form):
    kind = forms.ChoiceField(
        label="What the file holds",
        choices=ImportKind.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Select what the file holds"},
    )
    agency = forms.ModelChoiceField(
        label="Agency the file comes from",
        queryset=Agency.objects.none(),
        error_messages={"required": "Select the agency the file comes from"},
    )
    file = forms.FileField(
        label="Upload a CSV file",
        help_text="UTF-8 CSV with a header row, as described in the data formats guide",
        error_messages={
            "required": "Select a CSV file to upload",
            "empty": "The selected file is empty",
        },
    )

    def __init__(self, *args: object, user: User, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        # Offer only the kinds this user may load (tag suppliers' files have their own rule).
        # police.uk files have their own page (problems:street-crime-upload) and their own checks.
        self.fields["kind"].choices = [
            (k, label) for k, label in ImportKind.choices if k in FORMATS and may_import(user, k)
        ]
        # An administrator loads files on behalf of any agency; anyone else only for their own.
        if user.has_role(Role.ADMINISTRATOR):
            self.fields["agency"].queryset = Agency.objects.all()
        else:
            self.fields["agency"].queryset = Agency.objects.filter(pk=user.agency_id)
        self.fields["agency"].initial = user.agency_id

    def clean_file(self):  # type: ignore[no-untyped-def]
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith(".csv"):
            raise forms.ValidationError("The selected file must be a CSV")
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError("The selected file must be smaller than 50 MB")
        return upload
