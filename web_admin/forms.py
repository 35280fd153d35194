"""WTForms for the pages (CSRF on every form)."""
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length


class SignInForm(FlaskForm):
    """Username and password."""

    username = StringField("Username", validators=[DataRequired(), Length(max=80)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=200)])


class AcknowledgeForm(FlaskForm):
    """Acknowledge an alert, optionally saying what is being done."""

    note = StringField("Note", validators=[Length(max=500)])


class ResolveForm(FlaskForm):
    """Resolve an alert: what was done is required."""

    resolution = StringField("What was done", validators=[
        DataRequired(message="Say what was done to resolve the alert."), Length(max=500)])
