"""HTTP routes of the registry service: they only translate HTTP to the service layer."""

from fastapi import APIRouter

router = APIRouter(prefix="/v1")
