"""The resident journey in the database: application, placement in a bed (or the waitlist),
move-in, transfers and discharge. Plain functions over a tenant Session, shared by the
admission activities, the API and the seed; the data they exchange with the workflows is in
`core/contracts/admission.py`.

Every write takes the id of the row it creates from its caller (the workflow), so a retried
activity finds its own earlier write and returns it.

- `applications`: check and open an application, look up an admission, resident status history
- `beds`: bed holds (`bed_occupancies` ranges the exclusion constraint keeps apart), the house
  rule, stays recorded after the fact
- `placement`: a bed for a pending admission, now or reserved until the move-in day
- `waitlist`: the queue of those waiting for a bed, and the offer of a freed bed
- `transfers`: a move to another bed from a day on
- `discharge`: the end of a stay
- `lists`: the filtered, sorted, paged reads of residents, transfers and discharges
"""
