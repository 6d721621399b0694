"""HTTP routes of the reporting service: they only translate HTTP to the service layer."""

from fastapi import APIRouter

router = APIRouter(prefix="/v1")
