"""HTTP routes of the health service: they only translate HTTP to the service layer."""

from fastapi import APIRouter

router = APIRouter(prefix="/v1")
