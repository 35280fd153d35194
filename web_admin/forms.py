"""WTForms for the pages (CSRF on every form)."""
from flask_wtf import FlaskForm
from wtforms import (
    DateField, PasswordField, SelectField, StringField, TextAreaField, TimeField,
)
from wtforms.validators import DataRequired, EqualTo, Length, Optional


class SignInForm(FlaskForm):
    """Username and password."""

    username = StringField("Username", validators=[DataRequired(), Length(max=80)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=200)])


class PasswordChangeForm(FlaskForm):
    """The current password, and the new one twice."""

    current_password = PasswordField("Current password",
                                     validators=[DataRequired(), Length(max=200)])
    new_password = PasswordField("New password", validators=[
        DataRequired(), Length(min=8, max=200, message="Use 8 to 200 characters.")])
    repeat_password = PasswordField("New password again", validators=[
        DataRequired(), EqualTo("new_password", message="The two new passwords differ.")])


class AcknowledgeForm(FlaskForm):
    """Acknowledge an alert, optionally saying what is being done."""

    note = StringField("Note", validators=[Length(max=500)])


class ResolveForm(FlaskForm):
    """Resolve an alert: what was done is required."""

    resolution = StringField("What was done", validators=[
        DataRequired(message="Say what was done to resolve the alert."), Length(max=500)])


class CorrectionForm(FlaskForm):
    """A manager's correction of one worker's times: reason and resolution required."""

    worker_id = SelectField("Care worker", validators=[DataRequired()])
    corrected_start = TimeField("Arrived at (local time)", validators=[Optional()])
    corrected_end = TimeField("Left at (local time)", validators=[Optional()])
    reason_code = SelectField("Why the record was wrong", validators=[
        DataRequired(message="Choose why the record was wrong.")])
    resolution_code = SelectField("What settled it", validators=[
        DataRequired(message="Choose what evidence settled it.")])
    note = TextAreaField("Note", validators=[Length(max=1000)])


class ConfirmDeliveryForm(FlaskForm):
    """A provider manager's confirmation that a held visit was delivered: why, required."""

    reason = TextAreaField("Why you are sure it was delivered", validators=[
        DataRequired(message="Say why you are sure the visit was delivered."),
        Length(max=500)])


class WithdrawConfirmationForm(FlaskForm):
    """A provider manager takes back a confirmation given in error: why, required."""

    withdraw_reason = TextAreaField("Why the confirmation is withdrawn", validators=[
        DataRequired(message="Say why the confirmation is withdrawn."), Length(max=500)])


class PeriodForm(FlaskForm):
    """The period a report page shows (read from the query string; a GET form, no CSRF)."""

    class Meta:
        csrf = False

    first = DateField("From", name="from", validators=[Optional()])
    last = DateField("To", name="to", validators=[Optional()])


class FrameworkStatusForm(FlaskForm):
    """Change a provider's framework status: the new status and a reason, both required."""

    status = SelectField("New status", validators=[
        DataRequired(message="Choose the new status.")])
    reason = TextAreaField("Reason", validators=[
        DataRequired(message="Give a reason for the change."), Length(max=2000)])


class RequeueForm(FlaskForm):
    """Requeue a failing delivery (the CSRF token only)."""


class SetPasswordForm(FlaskForm):
    """A new password from a one-time link, typed twice."""

    password = PasswordField("New password (at least 8 characters)", validators=[
        DataRequired(message="Choose a password."), Length(min=8, max=200)])
    confirm = PasswordField("The same password again", validators=[
        DataRequired(message="Type the password again.")])
