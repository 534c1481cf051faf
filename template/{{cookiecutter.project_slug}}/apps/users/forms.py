from django import forms

from .models import User


class ProfileForm(forms.ModelForm):
    class Meta:
        model = User
        fields = ["first_name", "last_name", "avatar"]
        widgets = {
            "first_name": forms.TextInput(attrs={"class": "field"}),
            "last_name": forms.TextInput(attrs={"class": "field"}),
            "avatar": forms.ClearableFileInput(attrs={"class": "field"}),
        }
